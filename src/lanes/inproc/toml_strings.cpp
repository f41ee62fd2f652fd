#include "lanes/inproc/toml_strings.hpp"

#include "core/json_text.hpp"

#include <cctype>

namespace mdivicom::inproc {

namespace {

using Key = TomlKey;

struct ParseError
{
  size_t pos;
  std::string message;
};

// Enough of TOML 1.0 to find every string value with its full dotted key, and to skip all
// other values (numbers, dates, arrays, inline tables, multi-line strings) correctly.
class TomlStrings
{
public:
  explicit TomlStrings(std::string_view text) : m_text(text) {}

  std::vector<std::pair<Key, std::string>> parse()
  {
    Key table;
    while (true) {
      skip_blank_lines();
      if (at_end()) {
        break;
      }
      if (peek() == '[') {
        table = parse_header();
      } else {
        Key key = table;
        for (auto& part : parse_key()) {
          key.push_back(std::move(part));
        }
        skip_spaces();
        expect('=');
        skip_spaces();
        parse_value(key);
      }
      expect_line_end();
    }
    return std::move(m_strings);
  }

  size_t line_of(size_t pos) const
  {
    size_t line = 1;
    for (size_t i = 0; i < pos && i < m_text.size(); ++i) {
      line += m_text[i] == '\n' ? 1 : 0;
    }
    return line;
  }

private:
  bool at_end() const { return m_pos >= m_text.size(); }
  char peek(size_t ahead = 0) const { return m_pos + ahead < m_text.size() ? m_text[m_pos + ahead] : '\0'; }
  bool starts_with(std::string_view token) const { return m_text.substr(m_pos).starts_with(token); }
  [[noreturn]] void fail(const std::string& message) const { throw ParseError{m_pos, message}; }

  void expect(char c)
  {
    if (peek() != c) {
      fail(std::string("expected '") + c + "'");
    }
    ++m_pos;
  }

  void skip_spaces()
  {
    while (peek() == ' ' || peek() == '\t') {
      ++m_pos;
    }
  }

  void skip_comment()
  {
    if (peek() == '#') {
      while (!at_end() && peek() != '\n') {
        ++m_pos;
      }
    }
  }

  // Whitespace, newlines and comments: between statements and inside arrays.
  void skip_blank_lines()
  {
    while (true) {
      skip_spaces();
      skip_comment();
      if (peek() == '\r' || peek() == '\n') {
        ++m_pos;
      } else {
        return;
      }
    }
  }

  void expect_line_end()
  {
    skip_spaces();
    skip_comment();
    if (peek() == '\r') {
      ++m_pos;
    }
    if (!at_end() && peek() != '\n') {
      fail("expected the end of the line");
    }
  }

  Key parse_header()
  {
    ++m_pos;
    bool array_table = peek() == '[';
    if (array_table) {
      ++m_pos;
    }
    skip_spaces();
    Key key = parse_key();
    skip_spaces();
    expect(']');
    if (array_table) {
      expect(']');
      key.push_back("[]"); // no [[array]] entry can be the table we look for
    }
    return key;
  }

  Key parse_key()
  {
    Key key;
    while (true) {
      skip_spaces();
      char c = peek();
      if (c == '"' || c == '\'') {
        if (starts_with("\"\"\"") || starts_with("'''")) {
          fail("a key cannot be a multi-line string");
        }
        key.push_back(parse_string());
      } else {
        size_t start = m_pos;
        while (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_' || peek() == '-') {
          ++m_pos;
        }
        if (m_pos == start) {
          fail("expected a key");
        }
        key.emplace_back(m_text.substr(start, m_pos - start));
      }
      skip_spaces();
      if (peek() != '.') {
        return key;
      }
      ++m_pos;
    }
  }

  void parse_value(const Key& key)
  {
    char c = peek();
    if (c == '"' || c == '\'') {
      m_strings.emplace_back(key, parse_string());
    } else if (c == '[') {
      parse_array(key);
    } else if (c == '{') {
      parse_inline_table(key);
    } else {
      size_t start = m_pos;
      while (!at_end() && std::string_view(",]}#\r\n \t").find(peek()) == std::string_view::npos) {
        ++m_pos;
      }
      if (m_pos == start) {
        fail("expected a value");
      }
    }
  }

  void parse_array(Key key)
  {
    key.push_back("[]");
    ++m_pos;
    while (true) {
      skip_blank_lines();
      if (peek() == ']') {
        ++m_pos;
        return;
      }
      parse_value(key);
      skip_blank_lines();
      if (peek() == ',') {
        ++m_pos;
      } else if (peek() != ']') {
        fail("expected ',' or ']' in an array");
      }
    }
  }

  void parse_inline_table(const Key& key)
  {
    ++m_pos;
    skip_spaces();
    if (peek() == '}') {
      ++m_pos;
      return;
    }
    while (true) {
      Key item = key;
      for (auto& part : parse_key()) {
        item.push_back(std::move(part));
      }
      skip_spaces();
      expect('=');
      skip_spaces();
      parse_value(item);
      skip_spaces();
      if (peek() == ',') {
        ++m_pos;
        skip_spaces();
      } else if (peek() == '}') {
        ++m_pos;
        return;
      } else {
        fail("expected ',' or '}' in an inline table");
      }
    }
  }

  std::string parse_string()
  {
    if (starts_with("\"\"\"") || starts_with("'''")) {
      return parse_multiline_string(peek() == '"');
    }
    bool basic = peek() == '"';
    char quote = peek();
    ++m_pos;
    std::string value;
    while (true) {
      if (at_end() || peek() == '\n') {
        fail("unterminated string");
      }
      char c = m_text[m_pos++];
      if (c == quote) {
        return value;
      }
      if (basic && c == '\\') {
        append_escape(value);
      } else {
        value += c;
      }
    }
  }

  std::string parse_multiline_string(bool basic)
  {
    char quote = peek();
    m_pos += 3;
    // A newline right after the opening delimiter is not part of the string.
    if (starts_with("\r\n")) {
      m_pos += 2;
    } else if (peek() == '\n') {
      ++m_pos;
    }
    std::string value;
    while (true) {
      if (at_end()) {
        fail("unterminated multi-line string");
      }
      if (peek() == quote && peek(1) == quote && peek(2) == quote) {
        size_t quotes = 3;
        while (peek(quotes) == quote && quotes < 5) {
          ++quotes;
        }
        value.append(quotes - 3, quote);
        m_pos += quotes;
        return value;
      }
      char c = m_text[m_pos++];
      if (basic && c == '\\') {
        size_t after = m_text.find_first_not_of(" \t", m_pos);
        if (after != std::string_view::npos && (m_text[after] == '\n' || m_text[after] == '\r')) {
          // A line-ending backslash trims all whitespace up to the next text.
          m_pos = m_text.find_first_not_of(" \t\r\n", after);
          m_pos = m_pos == std::string_view::npos ? m_text.size() : m_pos;
          continue;
        }
        append_escape(value);
      } else {
        value += c;
      }
    }
  }

  void append_escape(std::string& value)
  {
    char c = peek();
    ++m_pos;
    switch (c) {
    case 'b': value += '\b'; return;
    case 't': value += '\t'; return;
    case 'n': value += '\n'; return;
    case 'f': value += '\f'; return;
    case 'r': value += '\r'; return;
    case 'e': value += '\x1b'; return;
    case '"': value += '"'; return;
    case '\\': value += '\\'; return;
    case 'u': append_code_point(value, 4); return;
    case 'U': append_code_point(value, 8); return;
    default: --m_pos; fail("invalid escape sequence in a string");
    }
  }

  void append_code_point(std::string& value, size_t digits)
  {
    if (m_pos + digits > m_text.size()) {
      fail("truncated unicode escape");
    }
    unsigned long code = 0;
    for (size_t i = 0; i < digits; ++i) {
      char c = m_text[m_pos + i];
      if (!std::isxdigit(static_cast<unsigned char>(c))) {
        fail("invalid unicode escape");
      }
      int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
      code = code * 16 + static_cast<unsigned long>(digit);
    }
    m_pos += digits;
    if (code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      fail("invalid unicode code point");
    }
    append_utf8(value, static_cast<uint32_t>(code));
  }

  std::string_view m_text;
  size_t m_pos = 0;
  std::vector<std::pair<Key, std::string>> m_strings;
};

} // namespace

Result<std::vector<std::pair<TomlKey, std::string>>> toml_strings(std::string_view text)
{
  TomlStrings parser(text);
  try {
    return parser.parse();
  } catch (const ParseError& error) {
    return Failure{"line " + std::to_string(parser.line_of(error.pos)) + ": " + error.message};
  }
}

} // namespace mdivicom::inproc
