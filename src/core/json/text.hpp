#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mdivicom {

// Text-level pieces of JSON shared by its readers and writers.

// Where a byte offset of UTF-8 text is, counted as Python's json counts it in its messages.
struct TextPosition
{
  size_t line;      // 1-based
  size_t column;    // 1-based, in characters
  size_t character; // 0-based offset in characters ("char N" in Python's messages)
};
TextPosition text_position(std::string_view text, size_t byte_offset);

// `s` (UTF-8) as a JSON string, the way both Python's json.dumps(ensure_ascii=False) and
// nlohmann's dump() write it: \" \\ \n \r \t \b \f, other control characters as \u00xx
// (lowercase hex), everything else as is.
void append_escaped_string(std::string& out, std::string_view s);

} // namespace mdivicom
