#pragma once

// The in-process lane: Python plugins run by the embedded CPython (libpython3.11) in a
// supervised, Landlock-sandboxed worker process; and the discovery of Python plugins.

#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/plugins/discovery.hpp"
#include "core/run/lane.hpp"

namespace mdivicom::inproc {

// Runs kind "python" plugins. Reads from RunRequest.options:
//   "python_env"   (string) a venv to run in; else MDIVICOM_PYTHON_ENV, VIRTUAL_ENV, system.
//   "kill_grace_s" (number) seconds between SIGTERM/SIGINT and SIGKILL; default 5.
// Outcome: succeeded when run() returns (or calls sys.exit(0)/sys.exit(None), or the process
// exits 0); failed when it raises (exit_code 1) or exits non-zero (exit_code n); crashed when
// a signal kills it; timeout past request.timeout_s; cancelled on SIGINT/SIGTERM to mdivicom.
// Facts: "python" {version, executable, prefix, sys_path, callable, entry_point, module_file,
// env, ...} and "sandbox" {kind, enforced, abi, reason?, writable_dirs, writable_files}.
std::unique_ptr<Lane> make_python_lane();

// Python plugin sources, in catalog order: MDIVICOM_DEV_PLUGIN_ROOTS source trees first (a
// tree being worked on shadows the installed copy), then installed entry points of group
// mdivicomtools.plugins in the env: `python_env`, else MDIVICOM_PYTHON_ENV, VIRTUAL_ENV, system.
// get_plugin() results are cached in ${XDG_CACHE_HOME:-~/.cache}/mdivicom/python-plugins.json
// (MDIVICOM_PLUGIN_CACHE=off disables it). Throws a usage Error when the named env is unusable.
std::vector<std::unique_ptr<PluginSource>> make_python_sources(const std::optional<std::filesystem::path>& python_env);

// For `mdivicom doctor`: the Python used (version, executable, prefix, sys.path, site dirs),
// Landlock (ABI, or why unavailable) and the plugin cache; every problem comes with a "fix".
nlohmann::json doctor_facts(const std::optional<std::filesystem::path>& python_env = std::nullopt);

} // namespace mdivicom::inproc
