#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "core/plugins/plugin.hpp"
#include "core/run/lane.hpp"

namespace mdivicom::inproc {

// What identifies a Python plugin's code, for the run's key (core/run/run_key.hpp):
// - an installed distribution: its RECORD's files and hashes (what the installer wrote, so a
//   reinstall of another build or version changes it; RECORD is read, the files are not);
// - a dev root (MDIVICOM_DEV_PLUGIN_ROOTS) or a manifest's entry.python_path: every file of its
//   source dirs but caches and VCS dirs, hashed through the per-user hash cache;
// - anything else (a callable importable from the environment): its module cannot be told apart
//   from the rest of the environment, so only the interpreter is named.
// Always with the embedded interpreter's version.
CodeIdentity python_code_identity(const Plugin& plugin);

// A manifest's entry.python_path, relative entries taken from the manifest's directory.
std::vector<std::filesystem::path> entry_python_path(const Plugin& plugin);

// The files of a distribution's RECORD (PEP 376: CSV of path, hash, size) that carry a hash
// (not RECORD itself, nor compiled .pyc files), sorted by path.
std::vector<CodeFile> record_files(std::string_view text);

} // namespace mdivicom::inproc
