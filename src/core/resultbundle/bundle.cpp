#include "core/resultbundle/bundle.hpp"

#include "core/resultbundle/pytext.hpp"

namespace mdivicom::resultbundle {

namespace {

void check_requested_compatibility(BundleValidation& result, const ValidateOptions& options)
{
  ValidationReport& report = result.report;
  const nlohmann::json& sidecar = result.resolved->sidecar;
  std::string expected_type = options.expect_type.value_or("");
  if (expected_type.empty()) {
    // The reference falls back to the sidecar's own type: str(type or "").
    const nlohmann::json own_type = sidecar.value("resultbundle_type", nlohmann::json());
    expected_type = python_truthy(own_type) ? python_str(own_type) : "";
  }
  if (expected_type.empty()) {
    report.add_problem(
        "Compatibility check requested but sidecar has no resultbundle_type and no --expect-type was provided.");
    return;
  }
  result.compatibility = check_compatibility(sidecar, expected_type, options.supported_major, options.min_minor);
  const CompatibilityDecision& decision = *result.compatibility;
  if (!decision.compatible) {
    report.add_problem(decision.reason);
  } else if (decision.level == "warn") {
    report.add_warning(decision.reason);
  } else {
    report.add_note(decision.reason);
  }
}

} // namespace

nlohmann::json BundleValidation::to_json() const
{
  nlohmann::json document = {{"validation", report.to_json()}};
  if (!resolved) {
    return document;
  }
  document["resolved"] = resolved->to_json();
  if (policy != nullptr) {
    document["policy"] = policy->to_json();
  }
  if (compatibility) {
    document["compatibility"] = compatibility->to_json();
  }
  return document;
}

BundleValidation validate_resultbundle(const std::filesystem::path& sidecar, const ResolveDirs& dirs,
                                       const ValidateOptions& options)
{
  BundleValidation result;
  result.policy = options.policy;
  const ValidationMode mode = select_validation_mode(options.mode, options.policy);
  auto resolved = resolve_sidecar(sidecar, dirs, mode == ValidationMode::strict);
  if (!resolved) {
    result.report.mode = mode;
    result.report.add_error(resolved.error());
    return result;
  }
  result.resolved = std::move(*resolved);
  result.report = validate_envelope(result.resolved->sidecar, mode, &*result.resolved);
  const bool compatibility_requested = options.expect_type || options.supported_major || options.min_minor;
  if (compatibility_requested) {
    check_requested_compatibility(result, options);
  }
  return result;
}

Result<ResolvedSidecar> inspect_resultbundle(const std::filesystem::path& sidecar, const ResolveDirs& dirs)
{
  return resolve_sidecar(sidecar, dirs, false);
}

} // namespace mdivicom::resultbundle
