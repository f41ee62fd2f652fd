#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/error.hpp"
#include "lanes/inproc/discovery/entry_points.hpp"

namespace mdivicom::inproc {

// What a source tree's pyproject.toml declares for discovery.
struct PyprojectInfo
{
  std::string project_name;                 // [project] name, "" when absent
  std::string project_version;              // [project] version, "" when absent or dynamic
  std::vector<EntryPointDecl> entry_points; // [project.entry-points."<group>"], in file order
};

// Parses the TOML text for [project] name/version and the entry points of `group`, in any of
// TOML's spellings (a table header, dotted keys, an inline table). Other tables are parsed
// only as far as needed to skip them correctly. Failure: "<line>: <problem>".
Result<PyprojectInfo> parse_pyproject(std::string_view text, std::string_view group = k_entry_point_group);

// The same for a file; failures name the file.
Result<PyprojectInfo> read_pyproject(const std::filesystem::path& file, std::string_view group = k_entry_point_group);

// MDIVICOM_DEV_PLUGIN_ROOTS (colon-separated), made absolute; empty when unset.
std::vector<std::filesystem::path> dev_plugin_roots();

// Where a dev root's modules are imported from: the root, then root/src for a src layout.
std::vector<std::filesystem::path> dev_root_import_dirs(const std::filesystem::path& root);

} // namespace mdivicom::inproc
