#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mdivicom::resultbundle {

// The message Python's json.loads would raise for `text` ("Expecting ',' delimiter: line 3
// column 5 (char 20)"), or nullopt when Python would accept it. `text` is what Python's
// read_text() gives: well-formed UTF-8 with newlines translated to "\n". Also reports what
// nlohmann cannot hold (NaN, Infinity, lone surrogates, deep nesting), after any syntax error.
std::optional<std::string> python_json_error(std::string_view text);

} // namespace mdivicom::resultbundle
