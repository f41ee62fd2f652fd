#pragma once

// What is wrong with a manifest: the schema's violations, made specific where users trip, and
// the rules the schema cannot say (memory sizes, a config schema that cannot compile).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom {

struct ManifestProblem
{
  std::string pointer; // JSON pointer of the offending value ("/" for the manifest itself); "" for the file
  std::string message;
};

// "/meta/id: must be a slug ...", or the message alone for a problem of the file.
std::string to_string(const ManifestProblem& problem);

// Every problem of one parsed manifest, in one pass: at every depth, and the checks in code
// even when the schema found others, so that fixing one never reveals the next.
std::vector<ManifestProblem> manifest_problems(const nlohmann::json& manifest);

} // namespace mdivicom
