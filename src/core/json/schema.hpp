#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom {

struct SchemaViolation
{
  std::string pointer; // JSON pointer of the offending value, "" for the document itself
  std::string message;
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

  // Every violation, most specific first; empty when the document is valid.
  std::vector<SchemaViolation> validate(const nlohmann::json& document) const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace mdivicom
