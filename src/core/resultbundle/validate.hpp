#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/resultbundle/resolve.hpp"

namespace mdivicom::resultbundle {

// strict: every problem is an error. warn: portability problems and missing files are
// warnings. off: envelope checks are skipped (a note says so).
enum class ValidationMode { strict, warn, off };

std::string to_string(ValidationMode mode);
// Accepts the names case-insensitively and trimmed, as the reference's parser does.
std::optional<ValidationMode> parse_validation_mode(std::string_view text);

struct ValidationReport
{
  ValidationMode mode = ValidationMode::strict;
  bool valid = true;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  std::vector<std::string> notes;

  void add_error(std::string message);
  void add_warning(std::string message) { warnings.push_back(std::move(message)); }
  void add_note(std::string message) { notes.push_back(std::move(message)); }
  // A problem that is an error in strict mode and a warning otherwise.
  void add_problem(std::string message);

  nlohmann::json to_json() const; // {mode, valid, errors, warnings, notes}
};

// Checks the envelope (required keys and their types, source, files) and, given the
// resolution, its warnings, issues, non-portable bases and missing required files.
ValidationReport validate_envelope(const nlohmann::json& sidecar, ValidationMode mode, const ResolvedSidecar* resolved);

} // namespace mdivicom::resultbundle
