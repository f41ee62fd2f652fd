#include "core/util/text_bytes.hpp"

#include "core/util/utf8.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>

namespace mdivicom {

namespace {

// U+0080..U+009F (C1), U+2028/U+2029 (line/paragraph separators), U+200E/U+200F, U+202A..U+202E
// and U+2066..U+2069 (bidirectional marks that reorder what is shown).
bool is_hidden_code_point(uint32_t code)
{
  return (code >= 0x80 && code <= 0x9F) || code == 0x200E || code == 0x200F || code == 0x2028 || code == 0x2029 ||
         (code >= 0x202A && code <= 0x202E) || (code >= 0x2066 && code <= 0x2069);
}

void append_escaped(std::string& out, char kind, uint32_t value, int digits)
{
  static const char* k_digits = "0123456789abcdef";
  out += '\\';
  out += kind;
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
    out += k_digits[(value >> shift) & 0xF];
  }
}

} // namespace

std::string printable(std::string_view text)
{
  std::string result;
  result.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    const auto byte = static_cast<unsigned char>(text[at]);
    if (utf8_sequence_length(text, at) == 0) {
      append_escaped(result, 'x', byte, 2);
      ++at;
      continue;
    }
    const size_t start = at;
    const char32_t code = next_code_point(text, at);
    if (code >= 0x80) {
      if (is_hidden_code_point(code)) {
        append_escaped(result, 'u', code, 4);
      } else {
        result.append(text.substr(start, at - start));
      }
      continue;
    }
    switch (byte) {
    case '\n': result += "\\n"; break;
    case '\r': result += "\\r"; break;
    case '\t': result += "\\t"; break;
    case '\\': result += "\\\\"; break;
    default:
      if (byte < 0x20 || byte == 0x7F) {
        append_escaped(result, 'x', byte, 2);
      } else {
        result += static_cast<char>(byte);
      }
    }
  }
  return result;
}

std::string json_text(const nlohmann::json& value)
{
  return value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string json_file_text(const nlohmann::json& value)
{
  return json_text(value) + "\n";
}

std::string to_hex(std::string_view bytes)
{
  static const char* k_digits = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    hex += k_digits[c >> 4];
    hex += k_digits[c & 0xF];
  }
  return hex;
}

std::optional<std::string> from_hex(std::string_view hex)
{
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  };
  if (hex.size() % 2 != 0) {
    return std::nullopt;
  }
  std::string bytes;
  bytes.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int high = digit(hex[i]);
    int low = digit(hex[i + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    bytes += static_cast<char>(high * 16 + low);
  }
  return bytes;
}

std::string percent_encode(std::string_view text, std::string_view keep)
{
  static const char* k_digits = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : text) {
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                 c == '_' || c == '~' || keep.find(static_cast<char>(c)) != std::string_view::npos;
    if (plain) {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += k_digits[c >> 4];
      encoded += k_digits[c & 0xF];
    }
  }
  return encoded;
}

std::string percent_encode_path(std::string_view path)
{
  return percent_encode(path, "/");
}

} // namespace mdivicom
