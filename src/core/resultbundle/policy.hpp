#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/resultbundle/validate.hpp"

namespace mdivicom::resultbundle {

// A named validation profile (the reference's four): the mode it implies and whether a
// caller may fall back to unvalidated outputs, and then must record why.
struct Policy
{
  std::string name;
  ValidationMode validation_mode;
  bool allow_fallback;
  bool require_fallback_reason;
  std::string description;

  // {name, validation_mode, allow_fallback, require_fallback_reason, description}
  nlohmann::json to_json() const;
};

// local_default, plugin_strict, pipeline_auto, legacy_off, sorted by name.
const std::vector<Policy>& all_policies();

// The policy of that name (case-insensitive, trimmed), or nullptr.
const Policy* policy_by_name(std::string_view name);

// "legacy_off, local_default, pipeline_auto, plugin_strict": for messages.
std::string policy_names();

// An explicit mode wins over the policy's; with neither, strict.
ValidationMode select_validation_mode(const std::optional<ValidationMode>& mode, const Policy* policy);

} // namespace mdivicom::resultbundle
