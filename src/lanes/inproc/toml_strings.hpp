#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace mdivicom::inproc {

using TomlKey = std::vector<std::string>;

// Every string value of a TOML document with its full dotted key (table path + key; "[]" for
// array items), in document order. Enough of TOML 1.0 to skip all other values (numbers,
// dates, arrays, inline tables, multi-line strings) correctly. Failure: "line N: problem".
Result<std::vector<std::pair<TomlKey, std::string>>> toml_strings(std::string_view text);

} // namespace mdivicom::inproc
