// A checker that fails exactly where CPython 3.11's json.loads (its C scanner, strict=True)
// fails, with the same message and position, so sidecar errors read like the reference's.
#include "core/resultbundle/load.hpp"

#include <algorithm>
#include <string>

namespace mdivicom::resultbundle {

namespace {

struct ScanError
{
  std::string message;
  size_t pos;
};

bool is_json_space(char32_t c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_digit(char32_t c)
{
  return c >= '0' && c <= '9';
}

bool is_hex(char32_t c)
{
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

unsigned hex_value(char32_t c)
{
  return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

class Scanner
{
public:
  explicit Scanner(std::u32string_view text) : m_s(text), m_len(text.size()) {}

  void scan_document()
  {
    if (m_len > 0 && m_s[0] == 0xFEFF) {
      throw ScanError{"Unexpected UTF-8 BOM (decode using utf-8-sig)", 0};
    }
    size_t end = scan_value(skip_space(0), 0);
    end = skip_space(end);
    if (end != m_len) {
      throw ScanError{"Extra data", end};
    }
    if (m_deferred) {
      throw *m_deferred;
    }
  }

private:
  size_t skip_space(size_t idx) const
  {
    while (idx < m_len && is_json_space(m_s[idx])) {
      ++idx;
    }
    return idx;
  }

  bool matches(size_t idx, std::u32string_view word) const { return m_s.substr(idx, word.size()) == word; }

  size_t scan_value(size_t idx, int depth)
  {
    if (idx >= m_len) {
      throw ScanError{"Expecting value", idx};
    }
    switch (m_s[idx]) {
    case '"': return scan_string(idx + 1);
    case '{': return scan_object(idx + 1, enter(idx, depth));
    case '[': return scan_array(idx + 1, enter(idx, depth));
    case 'n':
      if (matches(idx, U"null"))
        return idx + 4;
      break;
    case 't':
      if (matches(idx, U"true"))
        return idx + 4;
      break;
    case 'f':
      if (matches(idx, U"false"))
        return idx + 5;
      break;
    case 'N':
      if (matches(idx, U"NaN"))
        return unsupported_constant(idx, 3);
      break;
    case 'I':
      if (matches(idx, U"Infinity"))
        return unsupported_constant(idx, 8);
      break;
    case '-':
      if (matches(idx, U"-Infinity"))
        return unsupported_constant(idx, 9);
      break;
    default: break;
    }
    return scan_number(idx);
  }

  static int enter(size_t idx, int depth)
  {
    if (depth >= k_max_json_depth) {
      throw ScanError{"nesting deeper than " + std::to_string(k_max_json_depth) + " levels", idx};
    }
    return depth + 1;
  }

  // Python accepts what follows, so a later syntax error must still win: the first such
  // problem is only reported once the whole text scanned cleanly.
  void defer(std::string message, size_t pos) const
  {
    if (!m_deferred) {
      m_deferred = ScanError{std::move(message), pos};
    }
  }

  // Python accepts these, but they are not JSON and nothing downstream can hold them.
  size_t unsupported_constant(size_t idx, size_t length) const
  {
    defer("NaN, Infinity and -Infinity are not valid JSON values", idx);
    return idx + length;
  }

  size_t scan_number(size_t start) const
  {
    const size_t end_idx = m_len - 1;
    size_t idx = start;
    if (m_s[idx] == '-') {
      ++idx;
      if (idx > end_idx) {
        throw ScanError{"Expecting value", start};
      }
    }
    if (m_s[idx] >= '1' && m_s[idx] <= '9') {
      ++idx;
      while (idx <= end_idx && is_digit(m_s[idx]))
        ++idx;
    } else if (m_s[idx] == '0') {
      ++idx;
    } else {
      throw ScanError{"Expecting value", start};
    }
    if (idx < end_idx && m_s[idx] == '.' && is_digit(m_s[idx + 1])) {
      idx += 2;
      while (idx <= end_idx && is_digit(m_s[idx]))
        ++idx;
    }
    if (idx < end_idx && (m_s[idx] == 'e' || m_s[idx] == 'E')) {
      const size_t e_start = idx;
      ++idx;
      if (idx < end_idx && (m_s[idx] == '-' || m_s[idx] == '+'))
        ++idx;
      while (idx <= end_idx && is_digit(m_s[idx]))
        ++idx;
      if (!is_digit(m_s[idx - 1])) {
        idx = e_start;
      }
    }
    return idx;
  }

  // `end` is just past the opening quote.
  size_t scan_string(size_t end) const
  {
    const size_t begin = end - 1;
    while (true) {
      size_t next = end;
      char32_t c = 0;
      for (; next < m_len; ++next) {
        c = m_s[next];
        if (c == '"' || c == '\\')
          break;
        if (c <= 0x1F)
          throw ScanError{"Invalid control character at", next};
      }
      if (next >= m_len || !(c == '"' || c == '\\')) {
        throw ScanError{"Unterminated string starting at", begin};
      }
      ++next;
      if (c == '"') {
        return next;
      }
      if (next == m_len) {
        throw ScanError{"Unterminated string starting at", begin};
      }
      c = m_s[next];
      if (c != 'u') {
        end = next + 1;
        if (std::u32string_view(U"\"\\/bfnrt").find(c) == std::u32string_view::npos) {
          throw ScanError{"Invalid \\escape", end - 2};
        }
        continue;
      }
      end = scan_unicode_escape(next + 1);
    }
  }

  // `next` is just past the 'u'; returns the index after the escape (or surrogate pair).
  size_t scan_unicode_escape(size_t next) const
  {
    const size_t escape_start = next - 2;
    size_t end = next + 4;
    if (end >= m_len) {
      throw ScanError{"Invalid \\uXXXX escape", next - 1};
    }
    const char32_t high = read_hex4(next, end);
    if (high >= 0xD800 && high <= 0xDBFF && end + 6 < m_len && m_s[end] == '\\' && m_s[end + 1] == 'u') {
      const char32_t low = read_hex4(end + 2, end + 6);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        return end + 6;
      }
    }
    if (high >= 0xD800 && high <= 0xDFFF) {
      // Python keeps a lone surrogate, then cannot print it; it is not text.
      defer("lone surrogate escape is not valid text", escape_start);
    }
    return end;
  }

  char32_t read_hex4(size_t next, size_t end) const
  {
    char32_t value = 0;
    for (; next < end; ++next) {
      if (!is_hex(m_s[next])) {
        throw ScanError{"Invalid \\uXXXX escape", end - 5};
      }
      value = (value << 4) | hex_value(m_s[next]);
    }
    return value;
  }

  size_t scan_object(size_t idx, int depth)
  {
    const size_t end_idx = m_len - 1;
    idx = skip_space(idx);
    if (idx > end_idx || m_s[idx] != '}') {
      while (true) {
        if (idx > end_idx || m_s[idx] != '"') {
          throw ScanError{"Expecting property name enclosed in double quotes", idx};
        }
        idx = skip_space(scan_string(idx + 1));
        if (idx > end_idx || m_s[idx] != ':') {
          throw ScanError{"Expecting ':' delimiter", idx};
        }
        idx = skip_space(scan_value(skip_space(idx + 1), depth));
        if (idx <= end_idx && m_s[idx] == '}')
          break;
        if (idx > end_idx || m_s[idx] != ',') {
          throw ScanError{"Expecting ',' delimiter", idx};
        }
        idx = skip_space(idx + 1);
      }
    }
    return idx + 1;
  }

  size_t scan_array(size_t idx, int depth)
  {
    const size_t end_idx = m_len - 1;
    idx = skip_space(idx);
    if (idx > end_idx || m_s[idx] != ']') {
      while (true) {
        idx = skip_space(scan_value(idx, depth));
        if (idx <= end_idx && m_s[idx] == ']')
          break;
        if (idx > end_idx || m_s[idx] != ',') {
          throw ScanError{"Expecting ',' delimiter", idx};
        }
        idx = skip_space(idx + 1);
      }
    }
    return idx + 1;
  }

  std::u32string_view m_s;
  size_t m_len;
  mutable std::optional<ScanError> m_deferred;
};

} // namespace

std::optional<std::string> python_json_error(std::u32string_view text)
{
  try {
    Scanner(text).scan_document();
    return std::nullopt;
  } catch (const ScanError& error) {
    // json.JSONDecodeError's text: "<msg>: line L column C (char P)".
    const std::u32string_view before = text.substr(0, error.pos);
    const size_t line = static_cast<size_t>(std::count(before.begin(), before.end(), U'\n')) + 1;
    const size_t last_newline = before.rfind(U'\n');
    const size_t column = last_newline == std::u32string_view::npos ? error.pos + 1 : error.pos - last_newline;
    return error.message + ": line " + std::to_string(line) + " column " + std::to_string(column) + " (char " +
           std::to_string(error.pos) + ")";
  }
}

} // namespace mdivicom::resultbundle
