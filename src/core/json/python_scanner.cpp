// A port of CPython 3.11's Modules/_json.c (scanstring_unicode, _parse_object_unicode,
// _parse_array_unicode, scan_once_unicode, _match_number_unicode) and json.decoder's
// whitespace and BOM rules, over UTF-8 bytes: every character the grammar looks at is ASCII,
// so byte offsets stand in for CPython's character indexes (callers convert for messages).
#include "core/json/python_scanner.hpp"

#include "core/json/bounded.hpp"
#include "core/util/utf8.hpp"

namespace mdivicom {

namespace {

bool is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

int hex_digit(char c)
{
  return is_digit(c) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

class Scanner
{
public:
  Scanner(std::string_view text, JsonScanEvents& events) : m_s(text), m_len(text.size()), m_events(events) {}

  void scan_document()
  {
    if (m_s.starts_with("\xEF\xBB\xBF")) {
      fail(JsonScanProblem::byte_order_mark, 0);
    }
    const size_t end = skip_space(scan_value(skip_space(0), 0));
    if (end != m_len) {
      fail(JsonScanProblem::extra_data, end);
    }
  }

private:
  [[noreturn]] static void fail(JsonScanProblem problem, size_t position) { throw JsonScanError{problem, position}; }

  size_t skip_space(size_t idx) const
  {
    while (idx < m_len && is_space(m_s[idx])) {
      ++idx;
    }
    return idx;
  }

  size_t literal(size_t idx, std::string_view word)
  {
    m_events.literal(word, idx);
    return idx + word.size();
  }

  size_t scan_value(size_t idx, int depth)
  {
    if (idx >= m_len) {
      fail(JsonScanProblem::expecting_value, idx);
    }
    const std::string_view rest = m_s.substr(idx);
    switch (m_s[idx]) {
    case '"': {
      const size_t end = scan_string(idx + 1);
      m_events.string(m_decoded);
      return end;
    }
    case '{': m_events.begin_object(); return scan_object(idx + 1, enter(idx, depth));
    case '[': m_events.begin_array(); return scan_array(idx + 1, enter(idx, depth));
    case 'n': return rest.starts_with("null") ? literal(idx, "null") : scan_number(idx);
    case 't': return rest.starts_with("true") ? literal(idx, "true") : scan_number(idx);
    case 'f': return rest.starts_with("false") ? literal(idx, "false") : scan_number(idx);
    case 'N': return rest.starts_with("NaN") ? literal(idx, "NaN") : scan_number(idx);
    case 'I': return rest.starts_with("Infinity") ? literal(idx, "Infinity") : scan_number(idx);
    case '-': return rest.starts_with("-Infinity") ? literal(idx, "-Infinity") : scan_number(idx);
    default: return scan_number(idx);
    }
  }

  static int enter(size_t idx, int depth)
  {
    if (depth >= k_max_json_depth) {
      fail(JsonScanProblem::too_deep, idx);
    }
    return depth + 1;
  }

  size_t scan_number(size_t start)
  {
    const size_t end_idx = m_len - 1;
    size_t idx = start;
    if (m_s[idx] == '-') {
      ++idx;
      if (idx > end_idx) {
        fail(JsonScanProblem::expecting_value, start);
      }
    }
    if (m_s[idx] >= '1' && m_s[idx] <= '9') {
      ++idx;
      while (idx <= end_idx && is_digit(m_s[idx])) {
        ++idx;
      }
    } else if (m_s[idx] == '0') {
      ++idx;
    } else {
      fail(JsonScanProblem::expecting_value, start);
    }
    bool is_float = false;
    if (idx < end_idx && m_s[idx] == '.' && is_digit(m_s[idx + 1])) {
      is_float = true;
      idx += 2;
      while (idx <= end_idx && is_digit(m_s[idx])) {
        ++idx;
      }
    }
    if (idx < end_idx && (m_s[idx] == 'e' || m_s[idx] == 'E')) {
      const size_t e_start = idx;
      ++idx;
      if (idx < end_idx && (m_s[idx] == '-' || m_s[idx] == '+')) {
        ++idx;
      }
      while (idx <= end_idx && is_digit(m_s[idx])) {
        ++idx;
      }
      if (is_digit(m_s[idx - 1])) {
        is_float = true;
      } else {
        idx = e_start; // "1e" and "1e+" end the number at "1"
      }
    }
    m_events.number(m_s.substr(start, idx - start), is_float, start);
    return idx;
  }

  // Decodes the string whose opening quote is at end - 1 into m_decoded; returns the index
  // past its closing quote.
  size_t scan_string(size_t end)
  {
    const size_t begin = end - 1;
    m_decoded.clear();
    while (true) {
      size_t next = end;
      char c = 0;
      for (; next < m_len; ++next) {
        c = m_s[next];
        if (c == '"' || c == '\\') {
          break;
        }
        if (static_cast<unsigned char>(c) <= 0x1F) {
          fail(JsonScanProblem::invalid_control_character, next);
        }
      }
      if (next >= m_len) {
        fail(JsonScanProblem::unterminated_string, begin);
      }
      m_decoded.append(m_s, end, next - end);
      ++next;
      if (c == '"') {
        return next;
      }
      if (next == m_len) {
        fail(JsonScanProblem::unterminated_string, begin);
      }
      c = m_s[next];
      if (c != 'u') {
        static constexpr std::string_view k_escaped = "\"\\/bfnrt";
        static constexpr std::string_view k_meant = "\"\\/\b\f\n\r\t";
        const size_t which = k_escaped.find(c);
        if (which == std::string_view::npos) {
          fail(JsonScanProblem::invalid_escape, next - 1);
        }
        m_decoded += k_meant[which];
        end = next + 1;
        continue;
      }
      end = scan_unicode_escape(next + 1);
    }
  }

  // `next` is just past the 'u'; appends the code point and returns the index after the
  // escape (or the surrogate pair).
  size_t scan_unicode_escape(size_t next)
  {
    const size_t escape_start = next - 2;
    size_t end = next + 4;
    if (end >= m_len) {
      fail(JsonScanProblem::invalid_unicode_escape, next - 1);
    }
    const char32_t high = read_hex4(next);
    if (high >= 0xD800 && high <= 0xDBFF && end + 6 < m_len && m_s[end] == '\\' && m_s[end + 1] == 'u') {
      const char32_t low = read_hex4(end + 2);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        append_utf8(m_decoded, 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00));
        return end + 6;
      }
    }
    if (high >= 0xD800 && high <= 0xDFFF) {
      m_events.lone_surrogate(escape_start, m_decoded);
    } else {
      append_utf8(m_decoded, high);
    }
    return end;
  }

  // The four hex digits at `at`, which CPython reports at the 'u' before them when invalid.
  char32_t read_hex4(size_t at) const
  {
    char32_t value = 0;
    for (size_t i = at; i < at + 4; ++i) {
      const int digit = hex_digit(m_s[i]);
      if (digit < 0) {
        fail(JsonScanProblem::invalid_unicode_escape, at - 1);
      }
      value = (value << 4) | static_cast<char32_t>(digit);
    }
    return value;
  }

  size_t scan_object(size_t idx, int depth)
  {
    idx = skip_space(idx);
    if (idx >= m_len || m_s[idx] != '}') {
      while (true) {
        if (idx >= m_len || m_s[idx] != '"') {
          fail(JsonScanProblem::expecting_property_name, idx);
        }
        idx = skip_space(scan_string(idx + 1));
        m_events.key(m_decoded);
        if (idx >= m_len || m_s[idx] != ':') {
          fail(JsonScanProblem::expecting_colon, idx);
        }
        idx = skip_space(scan_value(skip_space(idx + 1), depth));
        if (idx < m_len && m_s[idx] == '}') {
          break;
        }
        if (idx >= m_len || m_s[idx] != ',') {
          fail(JsonScanProblem::expecting_comma_in_object, idx);
        }
        idx = skip_space(idx + 1);
      }
    }
    m_events.end_object();
    return idx + 1;
  }

  size_t scan_array(size_t idx, int depth)
  {
    idx = skip_space(idx);
    if (idx >= m_len || m_s[idx] != ']') {
      while (true) {
        idx = skip_space(scan_value(idx, depth));
        if (idx < m_len && m_s[idx] == ']') {
          break;
        }
        if (idx >= m_len || m_s[idx] != ',') {
          fail(JsonScanProblem::expecting_comma_in_array, idx);
        }
        idx = skip_space(idx + 1);
      }
    }
    m_events.end_array();
    return idx + 1;
  }

  std::string_view m_s;
  size_t m_len;
  JsonScanEvents& m_events;
  std::string m_decoded; // the string being decoded, reused
};

} // namespace

std::optional<JsonScanError> scan_python_json(std::string_view text, JsonScanEvents& events)
{
  try {
    Scanner(text, events).scan_document();
  } catch (const JsonScanError& error) {
    return error;
  }
  return std::nullopt;
}

} // namespace mdivicom
