#include "core/json/text.hpp"

#include <algorithm>

namespace mdivicom {

TextPosition text_position(std::string_view text, size_t byte_offset)
{
  byte_offset = std::min(byte_offset, text.size());
  TextPosition position{1, 1, 0};
  for (size_t i = 0; i < byte_offset; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0u) == 0x80u) {
      continue; // a continuation byte: part of the character before
    }
    ++position.character;
    if (text[i] == '\n') {
      ++position.line;
      position.column = 1;
    } else {
      ++position.column;
    }
  }
  return position;
}

namespace {

bool needs_escape(char ch)
{
  return ch == '"' || ch == '\\' || static_cast<unsigned char>(ch) < 0x20;
}

} // namespace

void append_escaped_string(std::string& out, std::string_view s)
{
  static constexpr char k_hex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    size_t run = i;
    while (i < s.size() && !needs_escape(s[i])) {
      ++i;
    }
    out.append(s, run, i - run);
    if (i == s.size()) {
      break;
    }
    char ch = s[i++];
    switch (ch) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    default:
      out += "\\u00";
      out += k_hex[static_cast<unsigned char>(ch) >> 4];
      out += k_hex[static_cast<unsigned char>(ch) & 0xF];
    }
  }
  out += '"';
}

} // namespace mdivicom
