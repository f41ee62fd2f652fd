#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/util/error.hpp"

namespace mdivicom::inproc {

using TomlKey = std::vector<std::string>;

// A pyproject.toml is read by toml++ (this header's .cpp is the one file that includes it),
// within limits that keep its recursion far from the stack's end: arrays and inline tables
// nest at most 256 deep (toml++'s own limit), and a document may hold at most this many dots
// outside strings and comments, which bounds how deep dotted keys and [a.b.c] headers nest
// tables (toml++ builds and frees those recursively).
inline constexpr size_t k_max_toml_dots = 10000;

// Every string value of a TOML 1.0 document with its full dotted key (table path + key; "[]"
// for array items), in document order. Failure: "line N: problem".
Result<std::vector<std::pair<TomlKey, std::string>>> toml_strings(std::string_view text);

} // namespace mdivicom::inproc
