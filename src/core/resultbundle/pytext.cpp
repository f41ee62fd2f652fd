// How Python spells and tests values, hand-written to match the reference byte for byte (its
// messages are built with str() and its emptiness tests use str.strip()).
#include "core/resultbundle/pytext.hpp"

#include "core/json/python_float.hpp"
#include "core/util/utf8.hpp"

#include <cmath>
#include <cstdio>

namespace mdivicom::resultbundle {

namespace {

// Characters str.isprintable() rejects, approximately: controls, separators other than the
// space, format characters and private use. repr() escapes them.
bool python_unprintable(char32_t c)
{
  return c < 0x20 || (c >= 0x7F && c <= 0xA0) || c == 0xAD || c == 0x1680 || (c >= 0x2000 && c <= 0x200F) ||
         (c >= 0x2028 && c <= 0x202F) || (c >= 0x205F && c <= 0x206F) || c == 0x3000 || c == 0xFEFF ||
         (c >= 0xE000 && c <= 0xF8FF) || (c >= 0xFFF9 && c <= 0xFFFB) || c >= 0xF0000;
}

std::string python_string_repr(std::string_view text)
{
  const bool has_single = text.find('\'') != std::string_view::npos;
  const bool has_double = text.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (size_t pos = 0; pos < text.size();) {
    const char32_t c = next_code_point(text, pos);
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (python_unprintable(c)) {
      char buffer[16];
      const char* format = c <= 0xFF ? "\\x%02x" : c <= 0xFFFF ? "\\u%04x" : "\\U%08x";
      std::snprintf(buffer, sizeof(buffer), format, static_cast<unsigned>(c));
      out += buffer;
    } else {
      append_utf8(out, c);
    }
  }
  out += quote;
  return out;
}

std::string python_repr(const nlohmann::json& value);

std::string python_container_repr(const nlohmann::json& value)
{
  // nlohmann keeps object keys sorted; Python would print them in file order.
  std::string out(1, value.is_array() ? '[' : '{');
  bool first = true;
  for (auto it = value.begin(); it != value.end(); ++it) {
    out += first ? "" : ", ";
    first = false;
    if (value.is_object()) {
      out += python_string_repr(it.key()) + ": ";
    }
    out += python_repr(*it);
  }
  out += value.is_array() ? ']' : '}';
  return out;
}

std::string python_repr(const nlohmann::json& value)
{
  if (value.is_string()) {
    return python_string_repr(value.get_ref<const std::string&>());
  }
  return python_str(value);
}

} // namespace

bool python_isspace(char32_t c)
{
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::string python_strip(std::string_view text)
{
  size_t begin = 0;
  size_t end = text.size();
  size_t first_non_space = text.size();
  for (size_t pos = 0; pos < text.size();) {
    const size_t start = pos;
    if (!python_isspace(next_code_point(text, pos))) {
      if (first_non_space == text.size()) {
        first_non_space = start;
      }
      end = pos;
    }
  }
  begin = first_non_space;
  return begin < end ? std::string(text.substr(begin, end - begin)) : std::string();
}

bool python_is_blank(std::string_view text)
{
  return python_strip(text).empty();
}

bool is_nonblank_string(const nlohmann::json& value)
{
  return value.is_string() && !python_is_blank(value.get_ref<const std::string&>());
}

std::string ascii_lower(std::string_view text)
{
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

bool python_truthy(const nlohmann::json& value)
{
  switch (value.type()) {
  case nlohmann::json::value_t::null:
  case nlohmann::json::value_t::discarded: return false;
  case nlohmann::json::value_t::boolean: return value.get<bool>();
  case nlohmann::json::value_t::number_integer: return value.get<int64_t>() != 0;
  case nlohmann::json::value_t::number_unsigned: return value.get<uint64_t>() != 0;
  case nlohmann::json::value_t::number_float: return value.get<double>() != 0.0;
  case nlohmann::json::value_t::string: return !value.get_ref<const std::string&>().empty();
  default: return !value.empty(); // arrays, objects, binary
  }
}

std::string python_bool(bool value)
{
  return value ? "True" : "False";
}

std::string python_float_str(double value)
{
  if (std::isnan(value)) {
    return "nan";
  }
  if (std::isinf(value)) {
    return value > 0 ? "inf" : "-inf";
  }
  return python_float_repr(value); // json's spelling differs only for the non-finite ones
}

std::string python_str(const nlohmann::json& value)
{
  switch (value.type()) {
  case nlohmann::json::value_t::null:
  case nlohmann::json::value_t::discarded: return "None";
  case nlohmann::json::value_t::boolean: return python_bool(value.get<bool>());
  case nlohmann::json::value_t::string: return value.get<std::string>();
  case nlohmann::json::value_t::number_float: return python_float_str(value.get<double>());
  case nlohmann::json::value_t::array:
  case nlohmann::json::value_t::object: return python_container_repr(value);
  default: return value.dump(); // integers
  }
}

} // namespace mdivicom::resultbundle
