#include "core/resultbundle/validate.hpp"

#include "core/resultbundle/pytext.hpp"

namespace mdivicom::resultbundle {

namespace {

using nlohmann::json;

std::string non_portable_warning(const std::string& root_base)
{
  return "source.root_base='" + root_base +
         "' is non-portable; prefer 'dataset_dir' or 'out_dir' for external handoff.";
}

bool is_portable(const std::string& root_base)
{
  const std::string normalized = ascii_lower(python_strip(root_base));
  return normalized == "dataset_dir" || normalized == "out_dir";
}

// Unlike the reference, a JSON null is not accepted where a string or boolean is required:
// REFERENCE_NOTES.md makes these fields typed, and a null one is as useless as a missing one.
void require_nonblank(ValidationReport& report, const json& object, const char* key, const std::string& message)
{
  if (object.contains(key) && !is_nonblank_string(object[key])) {
    report.add_error(message);
  }
}

void validate_time_reference(ValidationReport& report, const json& value)
{
  if (!value.is_object()) {
    report.add_error("time_reference must be an object.");
    return;
  }
  for (const char* key : {"kind", "unit"}) {
    if (!is_nonblank_string(value.value(key, json()))) {
      report.add_error(std::string("time_reference.") + key + " must be a non-empty string.");
    }
  }
}

void validate_source(ValidationReport& report, const json& value)
{
  if (value.is_null()) {
    return;
  }
  if (!value.is_object()) {
    report.add_error("source must be an object when present.");
    return;
  }
  for (const char* key : {"root", "root_base"}) {
    if (!is_nonblank_string(value.value(key, json()))) {
      report.add_error(std::string("source.") + key + " must be a non-empty string when source is present.");
    }
  }
  const json root_base = value.value("root_base", json());
  if (is_nonblank_string(root_base) && !is_portable(root_base.get<std::string>())) {
    report.add_warning(non_portable_warning(root_base.get<std::string>()));
  }
}

void validate_files(ValidationReport& report, const json& files)
{
  if (!files.is_array()) {
    report.add_error("files must be an array.");
    return;
  }
  if (files.empty()) {
    report.add_error("files must contain at least one entry.");
    return;
  }
  for (size_t idx = 0; idx < files.size(); ++idx) {
    const std::string name = "files[" + std::to_string(idx) + "]";
    const json& entry = files[idx];
    if (!entry.is_object()) {
      report.add_error(name + " must be an object.");
      continue;
    }
    for (const char* key : {"path", "role", "format", "required"}) {
      if (!entry.contains(key)) {
        report.add_error(name + " is missing required key '" + key + "'.");
      }
    }
    for (const char* key : {"path", "role", "format"}) {
      require_nonblank(report, entry, key, name + "." + key + " must be a non-empty string.");
    }
    if (entry.contains("required") && !entry["required"].is_boolean()) {
      report.add_error(name + ".required must be a boolean.");
    }
  }
}

void apply_resolution(ValidationReport& report, const json& sidecar, const ResolvedSidecar& resolved)
{
  for (const auto& warning : resolved.warnings) {
    report.add_warning(warning);
  }
  for (const auto& issue : resolved.issues) {
    report.add_problem(issue);
  }
  const json source = sidecar.value("source", json());
  if (source.is_object() && report.mode == ValidationMode::strict) {
    const json root_base = source.value("root_base", json());
    if (is_nonblank_string(root_base) && !is_portable(root_base.get<std::string>())) {
      report.add_error("source.root_base='" + root_base.get<std::string>() +
                       "' is not allowed in strict mode; use 'dataset_dir' or 'out_dir'.");
    }
  }
  for (const auto& file : resolved.files) {
    if (file.required && !file.exists) {
      report.add_problem("Required file is missing: " + file.declared_path + " (resolved: " + file.resolved_path + ")");
    }
  }
}

} // namespace

std::string to_string(ValidationMode mode)
{
  switch (mode) {
  case ValidationMode::strict: return "strict";
  case ValidationMode::warn: return "warn";
  case ValidationMode::off: return "off";
  }
  return "strict";
}

std::optional<ValidationMode> parse_validation_mode(std::string_view text)
{
  const std::string normalized = ascii_lower(python_strip(text));
  if (normalized == "strict")
    return ValidationMode::strict;
  if (normalized == "warn")
    return ValidationMode::warn;
  if (normalized == "off")
    return ValidationMode::off;
  return std::nullopt;
}

void ValidationReport::add_error(std::string message)
{
  errors.push_back(std::move(message));
  valid = false;
}

void ValidationReport::add_problem(std::string message)
{
  if (mode == ValidationMode::strict) {
    add_error(std::move(message));
  } else {
    add_warning(std::move(message));
  }
}

nlohmann::json ValidationReport::to_json() const
{
  return {{"mode", to_string(mode)}, {"valid", valid}, {"errors", errors}, {"warnings", warnings}, {"notes", notes}};
}

ValidationReport validate_envelope(const json& sidecar, ValidationMode mode, const ResolvedSidecar* resolved)
{
  ValidationReport report;
  report.mode = mode;
  if (mode == ValidationMode::off) {
    report.add_note("Validation mode is off; envelope checks were skipped.");
    return report;
  }
  if (!sidecar.is_object()) {
    report.add_error("Sidecar content must be an object.");
    return report;
  }
  for (const char* key : {"resultbundle_type", "schema_version", "time_reference", "files"}) {
    if (!sidecar.contains(key)) {
      report.add_error(std::string("Missing required top-level key '") + key + "'.");
    }
  }
  require_nonblank(report, sidecar, "resultbundle_type", "resultbundle_type must be a non-empty string.");
  require_nonblank(report, sidecar, "schema_version", "schema_version must be a non-empty string.");
  if (sidecar.contains("time_reference")) {
    validate_time_reference(report, sidecar["time_reference"]);
  }
  if (sidecar.contains("files")) {
    validate_files(report, sidecar["files"]);
  }
  validate_source(report, sidecar.value("source", json()));
  if (resolved != nullptr) {
    apply_resolution(report, sidecar, *resolved);
  }
  return report;
}

} // namespace mdivicom::resultbundle
