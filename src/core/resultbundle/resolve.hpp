#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/error.hpp"

namespace mdivicom::resultbundle {

// The directories a detached sidecar's source.root_base may name. Unset ones cannot be used.
struct ResolveDirs
{
  std::optional<std::filesystem::path> dataset_dir;
  std::optional<std::filesystem::path> out_dir;
  std::optional<std::filesystem::path> cwd;
};

struct ResolvedFile
{
  std::string declared_path;
  std::string resolved_path; // absolute, symlinks resolved
  std::string role;          // str() of the declared value, "" when absent
  std::string format;
  bool required = false; // truthiness of the declared value
  bool exists = false;
};

struct ResolvedSidecar
{
  std::string sidecar_path; // absolute, symlinks resolved
  std::string payload_root; // absolute, symlinks resolved
  bool detached = false;
  nlohmann::json sidecar; // the document after legacy-key normalization
  nlohmann::json source;  // the normalized source object, null when attached
  std::vector<ResolvedFile> files;
  std::vector<std::string> issues;   // problems tolerated because resolution was not strict
  std::vector<std::string> warnings; // deprecations and non-portable choices

  // `resultbundles inspect --json`: {sidecar_path, payload_root, detached, resultbundle_type,
  // schema_version, source, files, issues, warnings}.
  nlohmann::json to_json() const;
};

// Reads a sidecar and resolves its payload root and files as the reference does. Strict
// resolution fails on the first portability problem (absolute or escaping roots and paths,
// malformed file entries); otherwise those become `issues`. Fails, whatever the strictness,
// when the sidecar cannot be read as a JSON object or its source cannot be resolved at all.
Result<ResolvedSidecar> resolve_sidecar(const std::filesystem::path& sidecar_path, const ResolveDirs& dirs,
                                        bool strict);

} // namespace mdivicom::resultbundle
