#include "core/json/canonical.hpp"

#include "core/json/text.hpp"
#include "core/json/python_float.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace mdivicom {

namespace {

// Python 3.11 refuses int("...") beyond this many digits (sys.get_int_max_str_digits()), and
// json.loads with it: a config the reference cannot load has no reference hash.
constexpr size_t k_python_int_max_digits = 4300;

constexpr char k_lone_surrogate_marker = '\xFF';

struct ParseError
{
  size_t position;
  std::string message;
};

class Parser
{
public:
  explicit Parser(std::string_view text) : m_text(text) {}

  void parse_document(std::string& out, nlohmann::json* value)
  {
    skip_whitespace();
    parse_value(out, value, 0);
    skip_whitespace();
    if (m_pos != m_text.size()) {
      fail("extra data after the JSON value");
    }
  }

private:
  [[noreturn]] void fail(std::string message) const { fail_at(m_pos, std::move(message)); }
  [[noreturn]] static void fail_at(size_t position, std::string message)
  {
    throw ParseError{position, std::move(message)};
  }

  char peek() const { return m_pos < m_text.size() ? m_text[m_pos] : '\0'; }
  bool consume_word(std::string_view word)
  {
    if (m_text.substr(m_pos, word.size()) != word) {
      return false;
    }
    m_pos += word.size();
    return true;
  }

  void skip_whitespace()
  {
    while (m_pos < m_text.size() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
      ++m_pos;
    }
  }

  void parse_value(std::string& out, nlohmann::json* value, int depth)
  {
    char c = m_pos < m_text.size() ? peek() : 'x';
    if (c == '{' || c == '[') {
      if (depth >= k_max_json_depth) {
        fail("nesting deeper than " + std::to_string(k_max_json_depth) + " levels is not supported");
      }
      c == '{' ? parse_object(out, value, depth + 1) : parse_array(out, value, depth + 1);
    } else if (c == '"') {
      parse_string(m_scratch);
      append_escaped_string(out, m_scratch);
      if (value) {
        *value = m_scratch;
      }
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      parse_number(out, value);
    } else {
      parse_literal(out, value);
    }
  }

  void parse_literal(std::string& out, nlohmann::json* value)
  {
    static const std::pair<std::string_view, nlohmann::json> k_literals[] = {
        {"true", true}, {"false", false}, {"null", nullptr}, {"NaN", std::nan("")}, {"Infinity", HUGE_VAL},
    };
    for (const auto& [word, literal] : k_literals) {
      if (consume_word(word)) {
        out += word;
        if (value) {
          *value = literal;
        }
        return;
      }
    }
    fail("expected a value (an object, array, string, number, true, false or null)");
  }

  struct Member
  {
    std::string key;
    size_t begin; // of the value's canonical text, relative to the object's start in `out`
    size_t end;
  };

  // Member values are written to `out` as they are parsed, then the object's text is laid out
  // again in key order: one copy per nesting level, no allocation per member.
  void parse_object(std::string& out, nlohmann::json* value, int depth)
  {
    ++m_pos;
    if (value) {
      *value = nlohmann::json::object();
    }
    std::vector<Member> members;
    size_t start = out.size();
    skip_whitespace();
    if (peek() == '}') {
      ++m_pos;
      out += "{}";
      return;
    }
    while (true) {
      if (peek() != '"') {
        fail("expected a property name in double quotes");
      }
      Member member;
      parse_string(member.key);
      skip_whitespace();
      if (peek() != ':') {
        fail("expected ':' after the property name");
      }
      ++m_pos;
      skip_whitespace();
      member.begin = out.size() - start;
      nlohmann::json item;
      parse_value(out, value ? &item : nullptr, depth);
      member.end = out.size() - start;
      if (value) {
        (*value)[member.key] = std::move(item);
      }
      members.push_back(std::move(member));
      skip_whitespace();
      if (peek() == ',') {
        ++m_pos;
        skip_whitespace();
      } else if (peek() == '}') {
        ++m_pos;
        break;
      } else {
        fail("expected ',' or '}' after an object member");
      }
    }
    // Byte order of UTF-8 is code point order, which is how Python sorts str keys. Stable,
    // so that of duplicate keys the last one (the one Python's dict keeps) comes last.
    std::stable_sort(members.begin(), members.end(), [](const Member& a, const Member& b) { return a.key < b.key; });
    std::string values = out.substr(start);
    out.resize(start);
    out += '{';
    bool first = true;
    for (size_t i = 0; i < members.size(); ++i) {
      if (i + 1 < members.size() && members[i + 1].key == members[i].key) {
        continue;
      }
      out += first ? "" : ",";
      first = false;
      append_escaped_string(out, members[i].key);
      out += ':';
      out.append(values, members[i].begin, members[i].end - members[i].begin);
    }
    out += '}';
  }

  void parse_array(std::string& out, nlohmann::json* value, int depth)
  {
    ++m_pos;
    if (value) {
      *value = nlohmann::json::array();
    }
    out += '[';
    skip_whitespace();
    if (peek() == ']') {
      ++m_pos;
      out += ']';
      return;
    }
    while (true) {
      nlohmann::json item;
      parse_value(out, value ? &item : nullptr, depth);
      if (value) {
        value->push_back(std::move(item));
      }
      skip_whitespace();
      if (peek() == ',') {
        ++m_pos;
        out += ',';
        skip_whitespace();
      } else if (peek() == ']') {
        ++m_pos;
        break;
      } else {
        fail("expected ',' or ']' after an array item");
      }
    }
    out += ']';
  }

  uint32_t parse_hex4(size_t at) const
  {
    uint32_t cp = 0;
    for (size_t i = at; i < at + 4; ++i) {
      char c = i < m_text.size() ? m_text[i] : 'x';
      int digit = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
      if (digit < 0) {
        fail_at(at - 2, "invalid \\uXXXX escape (expected four hex digits)");
      }
      cp = cp * 16 + static_cast<uint32_t>(digit);
    }
    return cp;
  }

  // Decodes the string at m_pos into `s`.
  void parse_string(std::string& s)
  {
    size_t start = m_pos++;
    s.clear();
    while (true) {
      size_t run = m_pos;
      while (m_pos < m_text.size() && peek() != '"' && peek() != '\\' && static_cast<unsigned char>(peek()) >= 0x20) {
        ++m_pos;
      }
      s.append(m_text, run, m_pos - run);
      if (m_pos >= m_text.size()) {
        fail_at(start, "unterminated string");
      }
      char c = peek();
      if (c == '"') {
        ++m_pos;
        return;
      }
      if (c != '\\') {
        static constexpr char k_hex[] = "0123456789ABCDEF";
        auto byte = static_cast<unsigned char>(c);
        fail(std::string("invalid control character U+00") + k_hex[byte >> 4] + k_hex[byte & 0xF] +
             " in a string (write it as an escape such as \\n or \\u00XX)");
      }
      char e = m_pos + 1 < m_text.size() ? m_text[m_pos + 1] : '\0';
      static constexpr std::string_view k_simple = "\"\\/bfnrt";
      static constexpr std::string_view k_decoded = "\"\\/\b\f\n\r\t";
      if (size_t k = k_simple.find(e); e != '\0' && k != std::string_view::npos) {
        s += k_decoded[k];
        m_pos += 2;
        continue;
      }
      if (e != 'u') {
        fail("invalid escape (valid ones: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
      }
      uint32_t cp = parse_hex4(m_pos + 2);
      size_t escape_at = m_pos;
      m_pos += 6;
      if (cp >= 0xD800 && cp <= 0xDBFF && m_text.substr(m_pos, 2) == "\\u") {
        uint32_t low = parse_hex4(m_pos + 2);
        if (low >= 0xDC00 && low <= 0xDFFF) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          m_pos += 6;
        }
      }
      if (cp >= 0xD800 && cp <= 0xDFFF) {
        // Python fails only when encoding, so a value that a later duplicate key replaces does
        // not fail: leave a marker (0xFF never occurs in UTF-8) and look for survivors at the end.
        s += k_lone_surrogate_marker + std::to_string(m_lone_surrogates.size()) + k_lone_surrogate_marker;
        m_lone_surrogates.push_back(escape_at);
        continue;
      }
      append_utf8(s, cp);
    }
  }

  void parse_number(std::string& out, nlohmann::json* value)
  {
    size_t start = m_pos;
    bool negative = peek() == '-';
    m_pos += negative ? 1 : 0;
    if (negative && consume_word("Infinity")) {
      out += "-Infinity";
      if (value) {
        *value = -HUGE_VAL;
      }
      return;
    }
    auto is_digit = [&](size_t at) { return at < m_text.size() && m_text[at] >= '0' && m_text[at] <= '9'; };
    auto skip_digits = [&] {
      while (is_digit(m_pos)) {
        ++m_pos;
      }
    };
    size_t digits_start = m_pos;
    if (peek() == '0') {
      ++m_pos;
    } else if (is_digit(m_pos)) {
      skip_digits();
    } else {
      fail_at(start, "expected a value (an object, array, string, number, true, false or null)");
    }
    size_t digit_count = m_pos - digits_start;
    bool is_float = false;
    // Like Python's scanner: "1." and "1e" end the number at "1" (and then fail as extra data).
    if (peek() == '.' && is_digit(m_pos + 1)) {
      m_pos += 1;
      skip_digits();
      is_float = true;
    }
    if (peek() == 'e' || peek() == 'E') {
      size_t exponent_digits =
          m_pos + 1 + (m_pos + 1 < m_text.size() && (m_text[m_pos + 1] == '+' || m_text[m_pos + 1] == '-'));
      if (is_digit(exponent_digits)) {
        m_pos = exponent_digits;
        skip_digits();
        is_float = true;
      }
    }
    std::string_view lexeme = m_text.substr(start, m_pos - start);
    if (is_float) {
      double d = parse_python_float(lexeme);
      out += python_float_repr(d);
      if (value) {
        *value = d;
      }
      return;
    }
    if (digit_count > k_python_int_max_digits) {
      fail_at(start, "integer with " + std::to_string(digit_count) + " digits: Python refuses integers of more than " +
                         std::to_string(k_python_int_max_digits) + " digits");
    }
    out += (negative && lexeme == "-0") ? "0" : lexeme;
    if (value) {
      int64_t i = 0;
      uint64_t u = 0;
      const char* end = lexeme.data() + lexeme.size();
      if (std::from_chars(lexeme.data(), end, i).ec == std::errc()) {
        *value = i;
      } else if (std::from_chars(lexeme.data(), end, u).ec == std::errc()) {
        *value = u;
      } else {
        *value = parse_python_float(lexeme); // as nlohmann would; `canonical` keeps every digit
      }
    }
  }

  std::string_view m_text;
  size_t m_pos = 0;
  std::vector<size_t> m_lone_surrogates; // input offsets, indexed by the number in a marker
  std::string m_scratch;                 // the string value being decoded, reused

public:
  // Fails on the first lone surrogate that made it into the output, as Python's encode does.
  void check_no_lone_surrogate(std::string_view canonical) const
  {
    size_t marker = canonical.find(k_lone_surrogate_marker);
    if (marker == std::string_view::npos) {
      return;
    }
    size_t index = 0;
    std::from_chars(canonical.data() + marker + 1, canonical.data() + canonical.size(), index);
    size_t at = m_lone_surrogates.at(index);
    fail_at(at, "lone surrogate escape \\u" + std::string(m_text.substr(at + 2, 4)) +
                    " (Python loads it but cannot encode it as UTF-8, so it has no config hash)");
  }
};

Result<ParsedJson> parse(std::string_view text, bool with_value)
{
  if (size_t bad = find_invalid_utf8(text); bad != std::string_view::npos) {
    return Failure{describe_position(text, bad) + " (byte " + std::to_string(bad) + "): invalid UTF-8"};
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    return Failure{"line 1 column 1: unexpected UTF-8 byte order mark (save the file without a BOM)"};
  }
  ParsedJson parsed;
  try {
    Parser parser(text);
    parser.parse_document(parsed.canonical, with_value ? &parsed.value : nullptr);
    parser.check_no_lone_surrogate(parsed.canonical);
  } catch (const ParseError& e) {
    return Failure{describe_position(text, e.position) + ": " + e.message};
  }
  return parsed;
}

} // namespace

Result<std::string> canonical_json(std::string_view text)
{
  auto parsed = parse(text, false);
  if (!parsed) {
    return Failure{parsed.error()};
  }
  return std::move(parsed->canonical);
}

Result<ParsedJson> parse_json_canonical(std::string_view text)
{
  return parse(text, true);
}

} // namespace mdivicom
