#pragma once

// meta.resultbundle: the rules a plugin declares, and the sidecar they describe over its
// outputs (what the runner writes for a plugin that wrote none; writer.hpp).

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/error.hpp"

namespace mdivicom::resultbundle {

// One meta.resultbundle.files[] rule.
struct BundleRule
{
  std::string glob; // relative to the plugin's output dir; "**" spans directories
  std::string role;
  std::string format;
  bool required = false;
  nlohmann::json key_columns; // copied to each matched entry when not null
  nlohmann::json time;
};

struct BundleSpec
{
  std::string type;
  std::string schema_version;
  nlohmann::json time_reference;
  std::vector<BundleRule> rules;
};

// Reads meta.resultbundle (or a flat plugin's top-level "resultbundle"). Returns nullopt
// when the plugin declares none, a Failure naming the offending field when it is malformed.
Result<std::optional<BundleSpec>> bundle_spec_of(const nlohmann::json& plugin_object);

// The sidecar for `spec` over the files now in `plugin_out_dir`: every regular file matching
// a rule (symlinks are never followed or listed; each file under its first matching rule),
// sorted by path, with size and sha256, plus created_at and producer. Fails when a required
// rule matches nothing or the directory cannot be read.
Result<nlohmann::json> build_sidecar(const BundleSpec& spec, const std::filesystem::path& plugin_out_dir,
                                     const nlohmann::json& producer);

} // namespace mdivicom::resultbundle
