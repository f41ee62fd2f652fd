#include "core/json/schema.hpp"

#include "core/json/embedded_schemas.hpp"
#include "core/json/pattern.hpp"
#include "core/json/valijson_seams.hpp" // before anything here uses valijson
#include "core/util/error.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <new>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace mdivicom {

using valijson_seams::ScopedPointer;
using valijson_seams::t_compiling;
using valijson_seams::t_matching;
using valijson_seams::to_pointer;

namespace {

// valijson's default allocator is `new (std::nothrow)`, and it uses the null it gets when memory
// runs out (a SIGSEGV under `ulimit -v`): this one throws std::bad_alloc, which mdivicom reports.
void* allocate_or_throw(size_t size)
{
  return ::operator new(size);
}

void release(void* pointer)
{
  ::operator delete(pointer);
}

} // namespace

struct JsonSchema::Impl
{
  valijson::Schema schema{allocate_or_throw, release}; // only read while validating, so threads may share it
  SchemaPatterns patterns;                             // the same
};

JsonSchema::JsonSchema(const nlohmann::json& schema) : m_impl(std::make_unique<Impl>())
{
  ScopedPointer compiling(t_compiling, &m_impl->patterns);
  try {
    valijson::SchemaParser parser;
    valijson::adapters::NlohmannJsonAdapter adapter(schema);
    parser.populateSchema(adapter, m_impl->schema);
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const Error&) { // a pattern mdivicom cannot match: a valid schema, but refused
    throw;
  } catch (const std::exception& e) {
    throw Error(std::string("invalid JSON Schema: ") + e.what());
  }
}

JsonSchema::~JsonSchema() = default;
JsonSchema::JsonSchema(JsonSchema&&) noexcept = default;
JsonSchema& JsonSchema::operator=(JsonSchema&&) noexcept = default;

const JsonSchema& JsonSchema::builtin(std::string_view name)
{
  static std::mutex mutex;
  static std::map<std::string, JsonSchema, std::less<>> compiled;
  std::lock_guard lock(mutex);
  auto it = compiled.find(name);
  if (it != compiled.end()) {
    return it->second;
  }
  std::string_view text = embedded_schema(name);
  if (text.empty()) {
    throw Error("no built-in schema named '" + std::string(name) + "'");
  }
  return compiled.emplace(std::string(name), JsonSchema(nlohmann::json::parse(text))).first->second;
}

namespace {

bool is_prefix(const std::vector<std::string>& a, const std::vector<std::string>& b)
{
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// valijson's summaries of a subschema's failure ("Failed to validate against schema associated
// with property name 'meta'"): it pushes them after the errors of the subschema itself, at the
// node where the subschema applies, and they say nothing those errors do not. Read from the
// wording, as classify_valijson_description below does (valijson 1.0 has no other way).
bool is_summary_of_nested_errors(const std::string& description)
{
  static constexpr std::string_view k_summaries[] = {
      "Failed to validate against schema associated with property name '",
      "Failed to validate against schema associated with pattern '",
      "Failed to validate against additional properties schema",
      "Failed to validate item #",
      "Failed to validate against child schema #",
      "Failed to validate against dependent schema.",
      "Failed to validate against a conditional schema set by if-then-else constraints.",
  };
  return std::any_of(std::begin(k_summaries), std::end(k_summaries),
                     [&](std::string_view summary) { return description.starts_with(summary); });
}

// Whether `error` only summarizes others: a summary with an error of its own at its node or
// below (or another summary strictly below). A summary with nothing below it stays: it is all
// valijson said.
bool only_summarizes(const valijson::ValidationResults::Error& error,
                     const std::vector<valijson::ValidationResults::Error>& errors)
{
  if (!is_summary_of_nested_errors(error.description)) {
    return false;
  }
  return std::any_of(errors.begin(), errors.end(), [&](const valijson::ValidationResults::Error& other) {
    if (&other == &error || !is_prefix(error.context, other.context)) {
      return false;
    }
    return !is_summary_of_nested_errors(other.description) || other.context.size() > error.context.size();
  });
}

// " (got "../x")": the offending value, short, so the user sees what to change.
std::string describe_value(const nlohmann::json& document, const std::string& pointer)
{
  try {
    const nlohmann::json& value = document.at(nlohmann::json::json_pointer(pointer));
    if (value.is_object() || value.is_array()) {
      return "";
    }
    std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > 80) {
      text = text.substr(0, 77) + "...";
    }
    return " (got " + text + ")";
  } catch (const nlohmann::json::exception&) {
    return "";
  }
}

struct Classified
{
  SchemaKeyword keyword = SchemaKeyword::other;
  std::string argument;
};

// valijson 1.0 (Debian's libvalijson-dev 1.0+repack) reports a violation only as its context
// and an English description: ValidationResults::Error has no field for the keyword or the
// constraint, and its ValidationVisitor pushes errors itself (pushError is not virtual), so the
// keyword is known only from the wording. This is the one place that reads that wording;
// tests/core/test_json_schema.cpp fails for every keyword whose message valijson rewords.
Classified classify_valijson_description(const std::string& description)
{
  static const struct
  {
    const char* prefix;
    SchemaKeyword keyword;
    const char* argument_end; // the argument runs from the prefix to this; nullptr: no argument
  } k_wordings[] = {
      {"Missing required property '", SchemaKeyword::required, "'."},
      {"Object contains a property that could not be validated using 'properties' or 'additionalProperties' "
       "constraints: '",
       SchemaKeyword::additional_properties, "'."},
      {"Expected number less than or equal to ", SchemaKeyword::maximum, ""},
      {"Expected number less than ", SchemaKeyword::exclusive_maximum, ""},
      {"Expected number greater than or equal to ", SchemaKeyword::minimum, ""},
      {"Expected number greater than ", SchemaKeyword::exclusive_minimum, ""},
      {"Value type not permitted by 'type' constraint.", SchemaKeyword::type, nullptr},
      {"Failed to match against any enum values.", SchemaKeyword::enum_values, nullptr},
      {"Failed to match expected value set by 'const' constraint.", SchemaKeyword::const_value, nullptr},
      {"String should be no more than ", SchemaKeyword::max_length, " characters in length."},
      {"String should be no fewer than ", SchemaKeyword::min_length, " characters in length."},
      {"Failed to match regex specified by 'pattern' constraint.", SchemaKeyword::pattern, nullptr},
      {"Array should contain no more than ", SchemaKeyword::max_items, " elements."},
      {"Array should contain no fewer than ", SchemaKeyword::min_items, " elements."},
      {"Object should have no more than ", SchemaKeyword::max_properties, " properties."},
      {"Object should have no fewer than ", SchemaKeyword::min_properties, " properties."},
      {"Value should be a multiple of ", SchemaKeyword::multiple_of, ""},
  };
  for (const auto& wording : k_wordings) {
    const std::string_view prefix = wording.prefix;
    if (!description.starts_with(prefix)) {
      continue;
    }
    if (wording.argument_end == nullptr) {
      return {wording.keyword, ""};
    }
    const std::string_view end = wording.argument_end;
    const std::string_view rest = std::string_view(description).substr(prefix.size());
    if (!end.empty() && !rest.ends_with(end)) {
      return {};
    }
    return {wording.keyword, std::string(rest.substr(0, rest.size() - end.size()))};
  }
  return {};
}

} // namespace

std::vector<SchemaViolation> JsonSchema::validate(const nlohmann::json& document) const
{
  // The patterns were compiled with the schema (compile_pattern); valijson's own cache of
  // std::regex stays empty.
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(document);
  PatternMatching matching(m_impl->patterns);
  bool valid = false;
  {
    ScopedPointer scope(t_matching, &matching);
    valid = validator.validate(m_impl->schema, adapter, &results);
  }
  if (const auto& refusal = matching.refusal()) { // valijson's answer rests on an unchecked pattern
    return {SchemaViolation{refusal->first, refusal->second, SchemaKeyword::other, ""}};
  }
  if (valid) {
    return {};
  }
  std::vector<valijson::ValidationResults::Error> errors(results.begin(), results.end());
  // Every error valijson found, at every depth (a parent's missing property as well as its
  // child's wrong type), but not its summaries of them: each problem once, all in one pass.
  std::vector<SchemaViolation> violations;
  for (const auto& error : errors) {
    if (!only_summarizes(error, errors)) {
      std::string pointer = to_pointer(error.context);
      Classified classified = classify_valijson_description(error.description);
      violations.push_back({pointer, error.description + describe_value(document, pointer), classified.keyword,
                            std::move(classified.argument)});
    }
  }
  if (violations.empty()) { // a rule of valijson's that fails without a word must not pass the document
    violations.push_back({"", "Failed to validate against the schema.", SchemaKeyword::other, ""});
  }
  return violations;
}

} // namespace mdivicom
