#pragma once

// resultbundle.json sidecars: resolution, validation, policies and compatibility, with the
// Python reference's rules, messages and JSON shapes (REFERENCE_NOTES.md, "Result bundle
// sidecars"). The CLI prints what these functions return; the runner calls them too.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/resultbundle/compat.hpp"
#include "core/resultbundle/policy.hpp"
#include "core/resultbundle/resolve.hpp"
#include "core/resultbundle/validate.hpp"

namespace mdivicom::resultbundle {

struct ValidateOptions
{
  std::optional<ValidationMode> mode; // wins over the policy's mode; default strict
  const Policy* policy = nullptr;     // from policy_by_name(); reported in the result
  // Any of these three asks for a compatibility check.
  std::optional<std::string> expect_type;
  std::optional<int64_t> supported_major;
  std::optional<int64_t> min_minor;
};

// Everything `resultbundles validate` reports.
struct BundleValidation
{
  std::optional<ResolvedSidecar> resolved; // absent when the sidecar could not be resolved
  ValidationReport report;
  const Policy* policy = nullptr;
  std::optional<CompatibilityDecision> compatibility;

  bool valid() const { return report.valid; }
  // {resolved, validation, policy?, compatibility?}; only {validation} when unresolved.
  nlohmann::json to_json() const;
};

// `resultbundles validate`: resolves (strictly in strict mode), checks the envelope, then
// compatibility when asked. Never throws on bad sidecars: problems land in the report.
BundleValidation validate_resultbundle(const std::filesystem::path& sidecar, const ResolveDirs& dirs,
                                       const ValidateOptions& options);

// `resultbundles inspect`: resolution that is never strict.
Result<ResolvedSidecar> inspect_resultbundle(const std::filesystem::path& sidecar, const ResolveDirs& dirs);

} // namespace mdivicom::resultbundle
