#include "core/util/utf8.hpp"

#include <cstdint>

namespace mdivicom {

namespace {

constexpr std::string_view k_replacement = "\xEF\xBF\xBD"; // U+FFFD

// The code point of a sequence utf8_sequence_length() accepted.
char32_t decode_sequence(std::string_view text, size_t at, size_t length)
{
  const auto lead = static_cast<unsigned char>(text[at]);
  char32_t code = length == 1 ? lead : lead & (0x7Fu >> length);
  for (size_t i = 1; i < length; ++i) {
    code = (code << 6) | (static_cast<unsigned char>(text[at + i]) & 0x3Fu);
  }
  return code;
}

} // namespace

size_t utf8_sequence_length(std::string_view text, size_t at)
{
  const auto lead = static_cast<unsigned char>(text[at]);
  if (lead < 0x80) {
    return 1;
  }
  const size_t length = (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 0;
  if (length == 0 || at + length > text.size()) {
    return 0;
  }
  for (size_t i = 1; i < length; ++i) {
    if ((static_cast<unsigned char>(text[at + i]) & 0xC0) != 0x80) {
      return 0;
    }
  }
  static const uint32_t k_minimum[] = {0, 0, 0x80, 0x800, 0x10000};
  const char32_t code = decode_sequence(text, at, length);
  const bool overlong = code < k_minimum[length];
  const bool surrogate = code >= 0xD800 && code <= 0xDFFF;
  return overlong || surrogate || code > 0x10FFFF ? 0 : length;
}

size_t find_invalid_utf8(std::string_view text)
{
  for (size_t at = 0; at < text.size();) {
    const size_t length = utf8_sequence_length(text, at);
    if (length == 0) {
      return at;
    }
    at += length;
  }
  return std::string_view::npos;
}

bool is_valid_utf8(std::string_view text)
{
  return find_invalid_utf8(text) == std::string_view::npos;
}

std::string to_valid_utf8(std::string_view text)
{
  std::string result;
  result.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    const size_t length = utf8_sequence_length(text, at);
    if (length == 0) {
      result += k_replacement;
      ++at;
    } else {
      result.append(text.substr(at, length));
      at += length;
    }
  }
  return result;
}

char32_t next_code_point(std::string_view text, size_t& pos)
{
  const size_t length = utf8_sequence_length(text, pos);
  if (length == 0) {
    ++pos;
    return 0xFFFD;
  }
  const char32_t code = decode_sequence(text, pos, length);
  pos += length;
  return code;
}

void append_utf8(std::string& out, char32_t code_point)
{
  const char32_t c = code_point;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) {
    out += k_replacement;
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

} // namespace mdivicom
