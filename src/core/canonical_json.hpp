#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace mdivicom {

// Re-serializes JSON text exactly as Python's
//   json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
// does: keys sorted by code point, last duplicate key wins, non-ASCII written as UTF-8,
// integers of any size kept digit for digit, floats in Python's repr form (1.0, 1e-05, 1e+16).
// Fails (with a position) on text Python would not load or could not encode.
Result<std::string> canonical_json(std::string_view text);

} // namespace mdivicom
