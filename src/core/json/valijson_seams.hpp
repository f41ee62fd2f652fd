#pragma once

// Included by core/json/schema.cpp only, before it uses valijson: explicit specializations of
// valijson's members must be seen before their first use, and valijson is used in no other
// file (tests/tools/check_layers.py). Matching "pattern" and "patternProperties" with RE2 and
// "format" without std::regex, and propertyNames that says which name it refuses.

#include "core/json/formats.hpp"
#include "core/json/pattern.hpp"
#include "core/json/schema.hpp"

#include <regex> // only for the type of valijson's cache, which stays empty
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/adapters/std_string_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validation_visitor.hpp>

namespace mdivicom::valijson_seams {

// valijson names a node as {"<root>", "[meta]", "[argv]", "[0]"}; we speak JSON pointers.
inline std::string to_pointer(const std::vector<std::string>& context)
{
  std::string pointer;
  for (const auto& part : context) {
    if (part == "<root>") {
      continue;
    }
    std::string token = part;
    if (token.size() >= 2 && token.front() == '[' && token.back() == ']') {
      token = token.substr(1, token.size() - 2);
    }
    if (token.size() >= 2 && token.front() == '"' && token.back() == '"') {
      token = token.substr(1, token.size() - 2);
    }
    std::string escaped;
    for (char c : token) {
      if (c == '~') {
        escaped += "~0";
      } else if (c == '/') {
        escaped += "~1";
      } else {
        escaped += c;
      }
    }
    pointer += "/" + escaped;
  }
  return pointer;
}

// valijson has no way to pass anything from the caller to its parser or its visitor: the
// patterns of the schema being compiled, or the matching of the document being validated, on
// this thread are reached through these (set only within JsonSchema's constructor and validate).
inline thread_local SchemaPatterns* t_compiling = nullptr;
inline thread_local PatternMatching* t_matching = nullptr;

// Points a thread_local at `value` for one scope, then back at what it pointed to before.
template <typename T>
class ScopedPointer
{
public:
  ScopedPointer(T*& slot, T* value) : m_slot(slot), m_previous(slot) { slot = value; }
  ~ScopedPointer() { m_slot = m_previous; }
  ScopedPointer(const ScopedPointer&) = delete;
  ScopedPointer& operator=(const ScopedPointer&) = delete;

private:
  T*& m_slot;
  T* m_previous;
};

// Called by valijson's parser for every pattern it meets.
inline void compile_pattern(const std::string& pattern)
{
  if (t_compiling == nullptr) {
    throw std::logic_error("a pattern parsed outside JsonSchema's constructor");
  }
  t_compiling->add(pattern);
}

inline bool pattern_matches(std::string_view pattern, std::string_view subject, const std::vector<std::string>& context)
{
  if (t_matching == nullptr) {
    throw std::logic_error("a pattern matched outside JsonSchema::validate");
  }
  return t_matching->matches(pattern, subject, [&] { return to_pointer(context); });
}

// valijson's "pattern", with RE2 instead of std::regex.
template <typename Adapter>
bool visit_pattern(const Adapter& target, bool strict, const std::vector<std::string>& context,
                   valijson::ValidationResults* results, const valijson::constraints::PatternConstraint& constraint)
{
  if ((strict && !target.isString()) || !target.maybeString()) {
    return true;
  }
  if (pattern_matches(constraint.getPattern<std::string::allocator_type>(), target.asString(), context)) {
    return true;
  }
  if (results) {
    results->pushError(context, "Failed to match regex specified by 'pattern' constraint.");
  }
  return false;
}

// valijson's "format" (date, time, date-time; others pass), without std::regex, and only for
// strings, as draft 7 says (valijson asked a number for its string and threw).
template <typename Adapter>
bool visit_format(const Adapter& target, bool strict, const std::vector<std::string>& context,
                  valijson::ValidationResults* results, const valijson::constraints::FormatConstraint& constraint)
{
  if ((strict && !target.isString()) || !target.maybeString()) {
    return true;
  }
  const std::string text = target.asString();
  const std::string format = constraint.getFormat();
  const char* error = nullptr;
  if (format == "date" && !is_schema_date(text)) {
    error = "String should be a valid date";
  } else if (format == "time" && !is_schema_time(text)) {
    error = "String should be a valid time";
  } else if (format == "date-time" && !is_schema_date_time(text)) {
    error = "String should be a valid date-time";
  }
  if (error && results) {
    results->pushError(context, error);
  }
  return error == nullptr;
}

// valijson's "propertyNames", which failed without a word (with no error at the top level, the
// document passed): each name that breaks the subschema is named.
template <typename Adapter>
bool visit_property_names(const Adapter& target, bool strict, const std::vector<std::string>& context,
                          valijson::ValidationResults* results,
                          std::unordered_map<std::string, std::regex>& unused_cache,
                          const valijson::constraints::PropertyNamesConstraint& constraint)
{
  if ((strict && !target.isObject()) || !target.maybeObject()) {
    return true;
  }
  bool valid = true;
  for (const typename Adapter::ObjectMember member : target.asObject()) {
    valijson::adapters::StdStringAdapter name(member.first);
    valijson::ValidationVisitor<valijson::adapters::StdStringAdapter> validator(name, context, strict, nullptr,
                                                                                unused_cache);
    if (validator.validateSchema(*constraint.getSubschema())) {
      continue;
    }
    if (results == nullptr) {
      return false;
    }
    results->pushError(context, "Property name " + quoted_pattern(member.first) + " is not allowed by propertyNames.");
    valid = false;
  }
  return valid;
}

// The state of valijson's patternProperties functor, which its explicit specializations
// below hand to visit_pattern_property.
struct PatternPropertyPass
{
  const std::vector<std::string>& context;
  bool continue_on_success;
  bool continue_on_failure;
  bool continue_if_unmatched;
  bool strict;
  valijson::ValidationResults* results;
  std::set<std::string>* matched;
  bool* validated;
  std::unordered_map<std::string, std::regex>& unused_cache; // valijson's; RE2 needs none
};

// valijson's check of one patternProperties entry (ValidatePatternPropertySubschemas), with
// RE2 instead of std::regex; otherwise as valijson 1.0 does it.
template <typename Adapter>
bool visit_pattern_property(const typename Adapter::Object& object, const PatternPropertyPass& pass,
                            const std::string& pattern, const valijson::Subschema& subschema)
{
  bool found = false;
  for (const typename Adapter::ObjectMember member : object) {
    if (!pattern_matches(pattern, member.first, pass.context)) {
      continue;
    }
    found = true;
    if (pass.matched) {
      pass.matched->insert(member.first);
    }
    std::vector<std::string> context = pass.context;
    context.push_back("[" + member.first + "]");
    valijson::ValidationVisitor<Adapter> validator(member.second, context, pass.strict, pass.results,
                                                   pass.unused_cache);
    if (validator.validateSchema(subschema)) {
      continue;
    }
    if (pass.results) {
      pass.results->pushError(pass.context,
                              "Failed to validate against schema associated with pattern '" + pattern + "'.");
    }
    if (pass.validated) {
      *pass.validated = false;
    }
    if (!pass.continue_on_failure) {
      return false;
    }
  }
  return (found || pass.continue_if_unmatched) && pass.continue_on_success;
}

} // namespace mdivicom::valijson_seams

// Where valijson 1.0 (Debian's; it has no pluggable regex engine) uses std::regex, these
// explicit specializations for the two adapters it validates with take its place: the parser
// hands every pattern to compile_pattern, the visitor matches with RE2. (valijson's URN check
// of an "id" still uses std::regex: schema_shape bounds the id's length.)
namespace valijson {

template <>
constraints::PatternConstraint SchemaParser::makePatternConstraint(const adapters::NlohmannJsonAdapter& node)
{
  constraints::PatternConstraint constraint;
  const std::string pattern = node.getString();
  mdivicom::valijson_seams::compile_pattern(pattern);
  constraint.setPattern(pattern);
  return constraint;
}

template <>
bool constraints::PropertiesConstraint::addPatternPropertySubschema(const std::string& patternProperty,
                                                                    const Subschema* subschema)
{
  mdivicom::valijson_seams::compile_pattern(patternProperty);
  return addPatternPropertySubschema(patternProperty.c_str(), subschema);
}

template <>
bool ValidationVisitor<adapters::NlohmannJsonAdapter>::visit(const PatternConstraint& constraint)
{
  return mdivicom::valijson_seams::visit_pattern(m_target, m_strictTypes, m_context, m_results, constraint);
}

template <>
bool ValidationVisitor<adapters::StdStringAdapter>::visit(const PatternConstraint& constraint)
{
  return mdivicom::valijson_seams::visit_pattern(m_target, m_strictTypes, m_context, m_results, constraint);
}

template <>
bool ValidationVisitor<adapters::NlohmannJsonAdapter>::visit(const FormatConstraint& constraint)
{
  return mdivicom::valijson_seams::visit_format(m_target, m_strictTypes, m_context, m_results, constraint);
}

template <>
bool ValidationVisitor<adapters::StdStringAdapter>::visit(const FormatConstraint& constraint)
{
  return mdivicom::valijson_seams::visit_format(m_target, m_strictTypes, m_context, m_results, constraint);
}

template <>
bool ValidationVisitor<adapters::NlohmannJsonAdapter>::visit(const PropertyNamesConstraint& constraint)
{
  return mdivicom::valijson_seams::visit_property_names(m_target, m_strictTypes, m_context, m_results, m_regexesCache,
                                                        constraint);
}

template <>
bool ValidationVisitor<adapters::StdStringAdapter>::visit(const PropertyNamesConstraint& constraint)
{
  return mdivicom::valijson_seams::visit_property_names(m_target, m_strictTypes, m_context, m_results, m_regexesCache,
                                                        constraint);
}

template <>
template <>
bool ValidationVisitor<adapters::NlohmannJsonAdapter>::ValidatePatternPropertySubschemas::operator()(
    const constraints::PropertiesConstraint::String& patternProperty, const Subschema* subschema) const
{
  return mdivicom::valijson_seams::visit_pattern_property<adapters::NlohmannJsonAdapter>(
      m_object,
      {m_context, m_continueOnSuccess, m_continueOnFailure, m_continueIfUnmatched, m_strictTypes, m_results,
       m_propertiesMatched, m_validated, m_regexesCache},
      patternProperty.c_str(), *subschema);
}

template <>
template <>
bool ValidationVisitor<adapters::StdStringAdapter>::ValidatePatternPropertySubschemas::operator()(
    const constraints::PropertiesConstraint::String& patternProperty, const Subschema* subschema) const
{
  return mdivicom::valijson_seams::visit_pattern_property<adapters::StdStringAdapter>(
      m_object,
      {m_context, m_continueOnSuccess, m_continueOnFailure, m_continueIfUnmatched, m_strictTypes, m_results,
       m_propertiesMatched, m_validated, m_regexesCache},
      patternProperty.c_str(), *subschema);
}

} // namespace valijson
