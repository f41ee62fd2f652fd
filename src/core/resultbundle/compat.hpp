#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace mdivicom::resultbundle {

struct CompatibilityDecision
{
  bool compatible = false;
  std::string level; // "compatible", "warn" or "incompatible"
  std::string reason;
  nlohmann::json expected_type;  // string or null
  nlohmann::json provided_type;  // str() of the sidecar's value, or null
  nlohmann::json schema_version; // likewise

  // {compatible, level, reason, expected_type, provided_type, schema_version}
  nlohmann::json to_json() const;
};

// Whether a consumer expecting `expected_type` (schema major `supported_major`, preferably
// minor >= `min_minor`) can read this sidecar. schema_version must look like
// MAJOR.MINOR[.PATCH] with an optional -/+ suffix.
CompatibilityDecision check_compatibility(const nlohmann::json& sidecar, const std::string& expected_type,
                                          std::optional<int64_t> supported_major, std::optional<int64_t> min_minor);

} // namespace mdivicom::resultbundle
