#include "core/resultbundle/policy.hpp"

#include "core/resultbundle/pytext.hpp"

namespace mdivicom::resultbundle {

nlohmann::json Policy::to_json() const
{
  return {
      {"name", name},
      {"validation_mode", to_string(validation_mode)},
      {"allow_fallback", allow_fallback},
      {"require_fallback_reason", require_fallback_reason},
      {"description", description},
  };
}

const std::vector<Policy>& all_policies()
{
  static const std::vector<Policy> policies = {
      {"legacy_off", ValidationMode::off, true, false,
       "Compatibility mode for legacy paths where bundle validation is intentionally disabled."},
      {"local_default", ValidationMode::off, true, false,
       "Legacy/local mode: keep CSV-first behavior, skip strict bundle checks."},
      {"pipeline_auto", ValidationMode::warn, true, true,
       "Auto mode: warn-level validation; callers may fallback but must persist a reason."},
      {"plugin_strict", ValidationMode::strict, false, false,
       "Plugin/pipeline external handoff mode: validate strictly and fail fast."},
  };
  return policies;
}

const Policy* policy_by_name(std::string_view name)
{
  const std::string key = ascii_lower(python_strip(name));
  for (const auto& policy : all_policies()) {
    if (policy.name == key) {
      return &policy;
    }
  }
  return nullptr;
}

std::string policy_names()
{
  std::string names;
  for (const auto& policy : all_policies()) {
    names += (names.empty() ? "" : ", ") + policy.name;
  }
  return names;
}

ValidationMode select_validation_mode(const std::optional<ValidationMode>& mode, const Policy* policy)
{
  if (mode) {
    return *mode;
  }
  return policy != nullptr ? policy->validation_mode : ValidationMode::strict;
}

} // namespace mdivicom::resultbundle
