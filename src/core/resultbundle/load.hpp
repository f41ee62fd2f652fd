#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/util/error.hpp"
#include "core/json/bounded.hpp" // k_max_json_depth: deeper nesting is refused

namespace mdivicom::resultbundle {

// Sidecars are small; anything bigger is refused before a byte is read.
inline constexpr uintmax_t k_max_sidecar_bytes = uintmax_t{16} << 20;

// Reads and parses a sidecar the way the reference does (`json.loads(path.read_text())`),
// with its messages: "Sidecar does not exist: P", "Sidecar path is not a file: P",
// "Could not parse sidecar JSON: Expecting value: line 1 column 1 (char 0)". Beyond the
// reference it refuses huge files, invalid UTF-8, deep nesting, NaN/Infinity and lone
// surrogates with a clear message instead of crashing. `path` must already be resolved.
Result<nlohmann::json> load_sidecar_json(const std::filesystem::path& path);

} // namespace mdivicom::resultbundle
