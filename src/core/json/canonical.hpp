#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/util/error.hpp"
#include "core/json/bounded.hpp"      // k_max_json_depth
#include "core/json/python_float.hpp" // python_float_repr, for writers that must match Python

namespace mdivicom {

// Re-serializes JSON text exactly as Python's
//   json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
// does: keys sorted by code point, last duplicate key wins, non-ASCII written as UTF-8,
// integers of any size kept digit for digit, floats in Python's repr form (1.0, 1e-05, 1e+16).
// Fails (with a position) on text Python would not load or could not encode.
//
// Where Python's behaviour is surprising we follow it, because the config hash must match:
// - NaN, Infinity and -Infinity are accepted and written back as such; so is a float that
//   overflows (1e400 -> Infinity, as float("1e400") is inf).
// - Integers of more than 4300 digits are refused, as Python 3.11's int conversion limit does.
// - A \u escape of a lone surrogate loads in Python but cannot be encoded as UTF-8: refused
//   when it reaches the output (not when a later duplicate key drops it, as in Python).
// - A leading byte order mark is refused, as json.loads(str) refuses it.
// Deviations: nesting deeper than k_max_json_depth is refused (Python's own limit is its
// recursion limit, about 1000, and lower inside a deep call stack); invalid UTF-8 is refused
// (Python would have refused to decode the file).
Result<std::string> canonical_json(std::string_view text);

struct ParsedJson
{
  std::string canonical; // as canonical_json() returns it
  // The same document for code that needs a tree. Lossy where nlohmann is: integers beyond
  // 64 bits become doubles, NaN/Infinity are doubles (that nlohmann dumps as null).
  nlohmann::json value;
};

// canonical_json() and the parsed value in one pass over the text.
Result<ParsedJson> parse_json_canonical(std::string_view text);

} // namespace mdivicom
