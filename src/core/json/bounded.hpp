#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mdivicom {

// The deepest nesting of arrays and objects mdivicom reads from any JSON it did not write
// itself (manifests, configs, sidecars, records, inventories, caches, the Python worker's
// reports). Everything that walks a JSON value recurses (nlohmann's dump, valijson, CBOR, the
// plugin's own json.loads), so the limit is checked on the text, before a tree exists. 512
// is half of Python's default recursion limit (json.loads fails near 1000, earlier inside a
// deep call stack), so nothing Python itself could hand over is refused in practice.
inline constexpr int k_max_json_depth = 512;

// Offset of the first '[' or '{' (outside strings) that opens level max_depth + 1, or npos.
// Exact for valid JSON; for invalid JSON exact up to the first syntax error, which is as far
// as any parser goes, so a text it passes never makes a parser nest deeper.
size_t find_too_deep_json(std::string_view text, int max_depth = k_max_json_depth);

// nlohmann::json::parse of untrusted text, refusing nesting deeper than k_max_json_depth
// first. Fails like nlohmann's parse: throws nlohmann::json::parse_error ("parse error at byte
// N: nesting deeper than 512 levels ..."), or returns a discarded value when
// allow_exceptions is false, so callers keep their handling.
nlohmann::json parse_json_bounded(std::string_view text, bool allow_exceptions = true);

} // namespace mdivicom
