#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mdivicom {

// JSON text read the way CPython 3.11's json.loads reads it (its C scanner, strict=True).
// Hand-written, once, because two things must match the Python reference byte for byte and no
// JSON library does: the config hash (json/canonical.cpp) and the sidecar messages
// (resultbundle/pyjson.cpp). Beyond Python, nesting deeper than k_max_json_depth is refused.

// Where the text stops being JSON, in CPython's terms (its message in the comment).
enum class JsonScanProblem {
  byte_order_mark,           // Unexpected UTF-8 BOM (decode using utf-8-sig)
  expecting_value,           // Expecting value
  extra_data,                // Extra data
  expecting_property_name,   // Expecting property name enclosed in double quotes
  expecting_colon,           // Expecting ':' delimiter
  expecting_comma_in_object, // Expecting ',' delimiter
  expecting_comma_in_array,  // Expecting ',' delimiter
  unterminated_string,       // Unterminated string starting at (the opening quote)
  invalid_control_character, // Invalid control character at
  invalid_escape,            // Invalid \escape (at the backslash)
  invalid_unicode_escape,    // Invalid \uXXXX escape (at the 'u', one past the backslash)
  too_deep,                  // mdivicom's limit, at the bracket that opens one level too many
};

struct JsonScanError
{
  JsonScanProblem problem;
  size_t position; // byte offset, where CPython reports it
};

// What the scanner found, in document order. Values inside an object follow their key().
// A receiver may throw to stop the scan; the exception leaves scan_python_json as it is.
class JsonScanEvents
{
public:
  virtual ~JsonScanEvents() = default;
  virtual void begin_object() = 0;
  virtual void key(std::string& decoded) = 0; // may be moved from
  virtual void end_object() = 0;
  virtual void begin_array() = 0;
  virtual void end_array() = 0;
  virtual void string(std::string& decoded) = 0; // may be moved from
  // A number as written: [-]int[.frac][e[+-]exp]. `is_float` when it has a fraction or exponent.
  virtual void number(std::string_view lexeme, bool is_float, size_t position) = 0;
  // true, false, null, or one of the constants Python accepts: NaN, Infinity, -Infinity.
  virtual void literal(std::string_view word, size_t position) = 0;
  // A \u escape of a surrogate that is not half of a pair: Python keeps it (and later fails
  // to encode it). The receiver may append a stand-in to the string being decoded.
  virtual void lone_surrogate(size_t escape_position, std::string& decoded) = 0;
};

// Scans `text` (well-formed UTF-8: check it first, json.loads gets a decoded str) and reports
// it to `events`; returns where it stops being JSON, or nullopt.
std::optional<JsonScanError> scan_python_json(std::string_view text, JsonScanEvents& events);

} // namespace mdivicom
