// Sidecar errors that read like the reference's: the one CPython-compatible scanner
// (core/json/python_scanner.hpp) with CPython's own messages and positions.
#include "core/resultbundle/pyjson.hpp"

#include "core/json/bounded.hpp"
#include "core/json/python_scanner.hpp"
#include "core/json/text.hpp"

namespace mdivicom::resultbundle {

namespace {

// Python accepts these, but they are not JSON and nothing downstream can hold them. The first
// is reported only once the whole text scanned cleanly, so that a later syntax error still wins
// as it does in Python.
class Unrepresentable : public JsonScanEvents
{
public:
  void begin_object() override {}
  void key(std::string&) override {}
  void end_object() override {}
  void begin_array() override {}
  void end_array() override {}
  void string(std::string&) override {}
  void number(std::string_view, bool, size_t) override {}
  void literal(std::string_view word, size_t position) override
  {
    if (word == "NaN" || word == "Infinity" || word == "-Infinity") {
      note("NaN, Infinity and -Infinity are not valid JSON values", position);
    }
  }
  void lone_surrogate(size_t escape_position, std::string&) override
  {
    note("lone surrogate escape is not valid text", escape_position); // Python cannot print it
  }

  std::optional<std::pair<std::string, size_t>> first;

private:
  void note(const char* message, size_t position)
  {
    if (!first) {
      first.emplace(message, position);
    }
  }
};

std::string python_message(JsonScanProblem problem)
{
  switch (problem) {
  case JsonScanProblem::byte_order_mark: return "Unexpected UTF-8 BOM (decode using utf-8-sig)";
  case JsonScanProblem::expecting_value: return "Expecting value";
  case JsonScanProblem::extra_data: return "Extra data";
  case JsonScanProblem::expecting_property_name: return "Expecting property name enclosed in double quotes";
  case JsonScanProblem::expecting_colon: return "Expecting ':' delimiter";
  case JsonScanProblem::expecting_comma_in_object:
  case JsonScanProblem::expecting_comma_in_array: return "Expecting ',' delimiter";
  case JsonScanProblem::unterminated_string: return "Unterminated string starting at";
  case JsonScanProblem::invalid_control_character: return "Invalid control character at";
  case JsonScanProblem::invalid_escape: return "Invalid \\escape";
  case JsonScanProblem::invalid_unicode_escape: return "Invalid \\uXXXX escape";
  case JsonScanProblem::too_deep: return "nesting deeper than " + std::to_string(k_max_json_depth) + " levels";
  }
  return "Expecting value";
}

} // namespace

std::optional<std::string> python_json_error(std::string_view text)
{
  Unrepresentable events;
  std::optional<std::pair<std::string, size_t>> problem;
  if (auto error = scan_python_json(text, events)) {
    problem.emplace(python_message(error->problem), error->position);
  } else {
    problem = events.first;
  }
  if (!problem) {
    return std::nullopt;
  }
  // json.JSONDecodeError's text: "<msg>: line L column C (char P)".
  const TextPosition at = text_position(text, problem->second);
  return problem->first + ": line " + std::to_string(at.line) + " column " + std::to_string(at.column) + " (char " +
         std::to_string(at.character) + ")";
}

} // namespace mdivicom::resultbundle
