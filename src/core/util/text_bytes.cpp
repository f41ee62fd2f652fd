#include "core/util/text_bytes.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>

namespace mdivicom {

namespace {

// Length of the valid UTF-8 sequence starting at text[at], or 0 when it is invalid.
size_t utf8_sequence_length(std::string_view text, size_t at)
{
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(at);
  if (lead < 0x80) {
    return 1;
  }
  size_t length = 0;
  uint32_t code = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code = lead & 0x07;
  } else {
    return 0;
  }
  if (at + length > text.size()) {
    return 0;
  }
  for (size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) {
      return 0;
    }
    code = (code << 6) | (byte(at + i) & 0x3F);
  }
  static const uint32_t k_minimum[] = {0, 0, 0x80, 0x800, 0x10000};
  bool overlong = code < k_minimum[length];
  bool surrogate = code >= 0xD800 && code <= 0xDFFF;
  return overlong || surrogate || code > 0x10FFFF ? 0 : length;
}

} // namespace

bool is_valid_utf8(std::string_view text)
{
  for (size_t at = 0; at < text.size();) {
    size_t length = utf8_sequence_length(text, at);
    if (length == 0) {
      return false;
    }
    at += length;
  }
  return true;
}

std::string to_valid_utf8(std::string_view text)
{
  std::string result;
  result.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    size_t length = utf8_sequence_length(text, at);
    if (length == 0) {
      result += "\xEF\xBF\xBD";
      ++at;
    } else {
      result.append(text.substr(at, length));
      at += length;
    }
  }
  return result;
}

namespace {

// U+0080..U+009F (C1), U+2028/U+2029 (line/paragraph separators), U+200E/U+200F, U+202A..U+202E
// and U+2066..U+2069 (bidirectional marks that reorder what is shown).
bool is_hidden_code_point(uint32_t code)
{
  return (code >= 0x80 && code <= 0x9F) || code == 0x200E || code == 0x200F || code == 0x2028 || code == 0x2029 ||
         (code >= 0x202A && code <= 0x202E) || (code >= 0x2066 && code <= 0x2069);
}

uint32_t decode_code_point(std::string_view sequence)
{
  const auto lead = static_cast<unsigned char>(sequence[0]);
  uint32_t code = sequence.size() == 2 ? lead & 0x1Fu : sequence.size() == 3 ? lead & 0x0Fu : lead & 0x07u;
  for (size_t i = 1; i < sequence.size(); ++i) {
    code = (code << 6) | (static_cast<unsigned char>(sequence[i]) & 0x3Fu);
  }
  return code;
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
    const size_t length = utf8_sequence_length(text, at);
    const auto byte = static_cast<unsigned char>(text[at]);
    if (length == 0) {
      append_escaped(result, 'x', byte, 2);
      ++at;
      continue;
    }
    if (length == 1) {
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
    } else if (const uint32_t code = decode_code_point(text.substr(at, length)); is_hidden_code_point(code)) {
      append_escaped(result, 'u', code, 4);
    } else {
      result.append(text.substr(at, length));
    }
    at += length;
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

std::string percent_encode_path(std::string_view path)
{
  static const char* k_digits = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : path) {
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                 c == '_' || c == '~' || c == '/';
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

} // namespace mdivicom
