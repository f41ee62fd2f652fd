#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/error.hpp"

namespace mdivicom::inproc {

// The interpreter every Python plugin runs in. Only /usr/bin/python3 matches the embedded
// libpython; the python3 first on PATH may be another build and is never used.
inline constexpr const char* k_system_python = "/usr/bin/python3";
inline constexpr const char* k_system_prefix = "/usr";

// The Python environment plugins are found in and run in, worked out without starting
// Python: the directories Python would put on sys.path for installed distributions.
struct PythonEnv
{
  std::string origin; // "--python-env", "MDIVICOM_PYTHON_ENV", "VIRTUAL_ENV" or "system"
  std::optional<std::filesystem::path> venv;
  std::filesystem::path executable; // becomes sys.executable; decides sys.prefix and the venv
  bool system_site_packages = true;
  bool user_site = false;
  std::vector<std::filesystem::path> pythonpath; // PYTHONPATH entries, made absolute
  std::vector<std::filesystem::path> site_dirs;  // existing site dirs and their .pth additions, in order
  // What resolving ignored (a stale VIRTUAL_ENV): shown once by the catalog, kept in run records.
  std::vector<std::string> warnings;

  // PYTHONPATH first, then the site dirs: where *.dist-info and *.egg-info are searched.
  std::vector<std::filesystem::path> search_path() const;
  nlohmann::json to_json() const;
};

// An explicit env (--python-env) wins, then MDIVICOM_PYTHON_ENV, then VIRTUAL_ENV (a stale one
// is ignored with a warning), then the system interpreter. A given env must be a venv made by
// Python <major.minor> of the embedded libpython.
Result<PythonEnv> resolve_python_env(const std::optional<std::filesystem::path>& explicit_env);

// The same, for a lane request: options["python_env"] when set.
Result<PythonEnv> resolve_python_env_from_options(const nlohmann::json& options);

// Only the interpreter that resolve_python_env_from_options would pick (its `executable`), without
// reading the site dirs and their .pth files: a worker starts on it while they are read.
Result<std::filesystem::path> python_executable_from_options(const nlohmann::json& options);

// "3.11": the embedded libpython's version, which decides lib/python3.X paths.
std::string python_version_tag();

} // namespace mdivicom::inproc
