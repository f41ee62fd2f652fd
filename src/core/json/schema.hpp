#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom {

// The keyword of the rule a document broke, for messages of our own; `other` for the rest
// (anyOf, oneOf, format, dependencies, ...), whose valijson message is shown as it is.
enum class SchemaKeyword {
  required,
  additional_properties,
  maximum,
  exclusive_maximum,
  minimum,
  exclusive_minimum,
  type,
  enum_values,
  const_value,
  max_length,
  min_length,
  pattern,
  max_items,
  min_items,
  max_properties,
  min_properties,
  multiple_of,
  other,
};

struct SchemaViolation
{
  std::string pointer; // JSON pointer of the offending value, "" for the document itself
  std::string message; // valijson's, with " (got <value>)" for a scalar value
  SchemaKeyword keyword = SchemaKeyword::other;
  // required, additional_properties: the property's name; the bounds (maximum ... multiple_of):
  // the limit as valijson wrote it ("5.000000", prefer the schema's own text); else empty.
  std::string argument;
};

// A compiled JSON Schema (draft 7, via valijson). Compile once, validate many documents.
class JsonSchema
{
public:
  // Throws Error when the schema itself is not a valid schema.
  explicit JsonSchema(const nlohmann::json& schema);
  ~JsonSchema();
  JsonSchema(JsonSchema&&) noexcept;
  JsonSchema& operator=(JsonSchema&&) noexcept;

  // One of the schemas compiled into the binary from schemas/ (e.g. "plugin-manifest").
  static const JsonSchema& builtin(std::string_view name);

  // Every violation at every depth, each once (valijson's summaries of nested failures left
  // out), in valijson's order; empty when the document is valid.
  std::vector<SchemaViolation> validate(const nlohmann::json& document) const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace mdivicom
