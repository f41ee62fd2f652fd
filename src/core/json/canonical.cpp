// canonical_json: the events of the one CPython-compatible scanner (python_scanner.hpp)
// written back as Python's json.dumps(sort_keys=True, ensure_ascii=False) writes them.
#include "core/json/canonical.hpp"

#include "core/json/python_float.hpp"
#include "core/json/python_scanner.hpp"
#include "core/json/text.hpp"
#include "core/util/utf8.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace mdivicom {

namespace {

// Python 3.11 refuses int("...") beyond this many digits (sys.get_int_max_str_digits()), and
// json.loads with it: a config the reference cannot load has no reference hash.
constexpr size_t k_python_int_max_digits = 4300;

constexpr char k_lone_surrogate_marker = '\xFF';

// The canonical text (and, when asked, the value) built from the scanner's events.
class CanonicalWriter : public JsonScanEvents
{
public:
  CanonicalWriter(std::string& out, nlohmann::json* value) : m_out(out), m_root(value) {}

  void begin_object() override
  {
    open_value(nlohmann::json::object());
    m_frames.push_back({true, m_out.size(), {}});
  }

  void key(std::string& decoded) override
  {
    Frame& frame = m_frames.back();
    close_member(frame);
    frame.members.push_back({std::move(decoded), m_out.size() - frame.start, 0});
  }

  // Member values were written to `out` as they came; the object's text is laid out again in
  // key order: one copy per nesting level, no allocation per member.
  void end_object() override
  {
    Frame& frame = m_frames.back();
    close_member(frame);
    std::vector<Member>& members = frame.members;
    // Byte order of UTF-8 is code point order, which is how Python sorts str keys. Stable,
    // so that of duplicate keys the last one (the one Python's dict keeps) comes last.
    std::stable_sort(members.begin(), members.end(), [](const Member& a, const Member& b) { return a.key < b.key; });
    const std::string values = m_out.substr(frame.start);
    m_out.resize(frame.start);
    m_out += '{';
    bool first = true;
    for (size_t i = 0; i < members.size(); ++i) {
      if (i + 1 < members.size() && members[i + 1].key == members[i].key) {
        continue;
      }
      m_out += first ? "" : ",";
      first = false;
      append_escaped_string(m_out, members[i].key);
      m_out += ':';
      m_out.append(values, members[i].begin, members[i].end - members[i].begin);
    }
    m_out += '}';
    close_value();
  }

  void begin_array() override
  {
    open_value(nlohmann::json::array());
    m_out += '[';
    m_frames.push_back({false, m_out.size(), {}});
  }

  void end_array() override
  {
    m_out += ']';
    close_value();
  }

  void string(std::string& decoded) override
  {
    nlohmann::json* slot = open_value(nullptr);
    append_escaped_string(m_out, decoded);
    if (slot) {
      *slot = std::move(decoded);
    }
  }

  void number(std::string_view lexeme, bool is_float, size_t position) override
  {
    nlohmann::json* slot = open_value(nullptr);
    if (is_float) {
      const double d = parse_python_float(lexeme);
      m_out += python_float_repr(d);
      if (slot) {
        *slot = d;
      }
      return;
    }
    const size_t digits = lexeme.size() - (lexeme.front() == '-' ? 1 : 0);
    if (digits > k_python_int_max_digits) {
      throw Refusal{position, "integer with " + std::to_string(digits) +
                                  " digits: Python refuses integers of more than " +
                                  std::to_string(k_python_int_max_digits) + " digits"};
    }
    m_out += lexeme == "-0" ? "0" : lexeme;
    if (slot) {
      int64_t i = 0;
      uint64_t u = 0;
      const char* end = lexeme.data() + lexeme.size();
      if (std::from_chars(lexeme.data(), end, i).ec == std::errc()) {
        *slot = i;
      } else if (std::from_chars(lexeme.data(), end, u).ec == std::errc()) {
        *slot = u;
      } else {
        *slot = parse_python_float(lexeme); // as nlohmann would; `canonical` keeps every digit
      }
    }
  }

  void literal(std::string_view word, size_t) override
  {
    nlohmann::json* slot = open_value(nullptr);
    m_out += word;
    if (slot) {
      *slot = word == "true"       ? nlohmann::json(true)
              : word == "false"    ? nlohmann::json(false)
              : word == "null"     ? nlohmann::json()
              : word == "NaN"      ? nlohmann::json(std::nan(""))
              : word == "Infinity" ? nlohmann::json(HUGE_VAL)
                                   : nlohmann::json(-HUGE_VAL);
    }
  }

  // Python fails only when encoding, so a value that a later duplicate key replaces does not
  // fail: leave a marker (0xFF never occurs in UTF-8) and look for survivors at the end.
  void lone_surrogate(size_t escape_position, std::string& decoded) override
  {
    decoded += k_lone_surrogate_marker + std::to_string(m_lone_surrogates.size()) + k_lone_surrogate_marker;
    m_lone_surrogates.push_back(escape_position);
  }

  // Where the first lone surrogate that made it into the output was escaped, as Python's
  // encode fails on it; nullopt when none did.
  std::optional<size_t> surviving_lone_surrogate() const
  {
    const size_t marker = m_out.find(k_lone_surrogate_marker);
    if (marker == std::string::npos) {
      return std::nullopt;
    }
    size_t index = 0;
    std::from_chars(m_out.data() + marker + 1, m_out.data() + m_out.size(), index);
    return m_lone_surrogates.at(index);
  }

  // A number that Python would refuse to load, though the scanner accepts it.
  struct Refusal
  {
    size_t position;
    std::string message;
  };

private:
  struct Member
  {
    std::string key;
    size_t begin; // of the value's canonical text, relative to the object's start in `out`
    size_t end;
  };

  struct Frame
  {
    bool object;
    size_t start; // in `out`: where an object's member values begin, after an array's '['
    std::vector<Member> members;
  };

  void close_member(Frame& frame) const
  {
    if (!frame.members.empty()) {
      frame.members.back().end = m_out.size() - frame.start;
    }
  }

  // Starts a value: the comma before an array item, and its slot in the parsed tree (nullptr
  // when no tree is built). A container stays open until close_value().
  nlohmann::json* open_value(nlohmann::json initial)
  {
    if (!m_frames.empty() && !m_frames.back().object && m_out.size() != m_frames.back().start) {
      m_out += ',';
    }
    if (m_root == nullptr) {
      return nullptr;
    }
    nlohmann::json* slot = m_root;
    if (!m_open.empty()) {
      nlohmann::json& parent = *m_open.back();
      slot = parent.is_array() ? &parent.emplace_back() : &parent[m_frames.back().members.back().key];
    }
    *slot = std::move(initial);
    if (slot->is_structured()) {
      m_open.push_back(slot);
    }
    return slot;
  }

  void close_value()
  {
    m_frames.pop_back();
    if (!m_open.empty()) {
      m_open.pop_back();
    }
  }

  std::string& m_out;
  nlohmann::json* m_root;
  std::vector<Frame> m_frames;
  std::vector<nlohmann::json*> m_open;   // containers of the tree being filled, innermost last
  std::vector<size_t> m_lone_surrogates; // escape offsets, indexed by the number in a marker
};

// Our words for where the text stops being JSON; the positions are CPython's.
std::string problem_text(const JsonScanError& error, std::string_view text)
{
  switch (error.problem) {
  case JsonScanProblem::byte_order_mark: return "unexpected UTF-8 byte order mark (save the file without a BOM)";
  case JsonScanProblem::expecting_value:
    return "expected a value (an object, array, string, number, true, false or null)";
  case JsonScanProblem::extra_data: return "extra data after the JSON value";
  case JsonScanProblem::expecting_property_name: return "expected a property name in double quotes";
  case JsonScanProblem::expecting_colon: return "expected ':' after the property name";
  case JsonScanProblem::expecting_comma_in_object: return "expected ',' or '}' after an object member";
  case JsonScanProblem::expecting_comma_in_array: return "expected ',' or ']' after an array item";
  case JsonScanProblem::unterminated_string: return "unterminated string";
  case JsonScanProblem::invalid_control_character: {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    const auto byte = static_cast<unsigned char>(text[error.position]);
    return std::string("invalid control character U+00") + k_hex[byte >> 4] + k_hex[byte & 0xF] +
           " in a string (write it as an escape such as \\n or \\u00XX)";
  }
  case JsonScanProblem::invalid_escape: return "invalid escape (valid ones: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)";
  case JsonScanProblem::invalid_unicode_escape: return "invalid \\uXXXX escape (expected four hex digits)";
  case JsonScanProblem::too_deep:
    return "nesting deeper than " + std::to_string(k_max_json_depth) + " levels is not supported";
  }
  return "not JSON";
}

Failure at(std::string_view text, size_t position, const std::string& message)
{
  const TextPosition where = text_position(text, position);
  return Failure{"line " + std::to_string(where.line) + " column " + std::to_string(where.column) + ": " + message};
}

Result<ParsedJson> parse(std::string_view text, bool with_value)
{
  if (size_t bad = find_invalid_utf8(text); bad != std::string_view::npos) {
    const TextPosition where = text_position(text, bad);
    return Failure{"line " + std::to_string(where.line) + " column " + std::to_string(where.column) + " (byte " +
                   std::to_string(bad) + "): invalid UTF-8"};
  }
  ParsedJson parsed;
  CanonicalWriter writer(parsed.canonical, with_value ? &parsed.value : nullptr);
  try {
    if (auto error = scan_python_json(text, writer)) {
      // Our message points at an invalid \u escape's backslash, CPython's at its 'u'.
      const bool at_backslash = error->problem == JsonScanProblem::invalid_unicode_escape;
      return at(text, error->position - (at_backslash ? 1 : 0), problem_text(*error, text));
    }
  } catch (const CanonicalWriter::Refusal& refusal) {
    return at(text, refusal.position, refusal.message);
  }
  if (auto escape = writer.surviving_lone_surrogate()) {
    return at(text, *escape,
              "lone surrogate escape \\u" + std::string(text.substr(*escape + 2, 4)) +
                  " (Python loads it but cannot encode it as UTF-8, so it has no config hash)");
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
