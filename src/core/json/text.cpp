#include "core/json/text.hpp"

#include <algorithm>

namespace mdivicom {

size_t find_invalid_utf8(std::string_view text)
{
  size_t i = 0;
  auto byte = [&](size_t k) { return k < text.size() ? static_cast<unsigned char>(text[k]) : 0u; };
  auto continuation = [&](size_t k) { return (byte(k) & 0xC0u) == 0x80u; };
  while (i < text.size()) {
    unsigned c = byte(i);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    unsigned low = 0x80, high = 0xBF; // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      low = c == 0xE0 ? 0xA0 : 0x80;
      high = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      low = c == 0xF0 ? 0x90 : 0x80;
      high = c == 0xF4 ? 0x8F : 0xBF;
    } else {
      return i;
    }
    if (byte(i + 1) < low || byte(i + 1) > high) {
      return i;
    }
    for (size_t k = 2; k < length; ++k) {
      if (!continuation(i + k)) {
        return i;
      }
    }
    i += length;
  }
  return std::string_view::npos;
}

std::string describe_position(std::string_view text, size_t position)
{
  position = std::min(position, text.size());
  size_t line = 1, column = 1;
  for (size_t i = 0; i < position; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0u) != 0x80u) {
      ++column;
    }
  }
  return "line " + std::to_string(line) + " column " + std::to_string(column);
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

void append_utf8(std::string& out, uint32_t code_point)
{
  uint32_t cp = code_point;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

} // namespace mdivicom
