#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/error.hpp"
#include "core/run/lane.hpp"
#include "lanes/inproc/sandbox/landlock.hpp"
#include "lanes/inproc/discovery/python_env.hpp"

namespace mdivicom::inproc {

// Everything a Python run needs, decided before the worker starts.
struct PythonRunPlan
{
  PythonEnv env;
  std::string callable;                                // "module:function"
  std::vector<std::filesystem::path> sys_path_prepend; // dev root (and src/), entry.python_path
  SandboxRules sandbox;
  nlohmann::json kwargs; // dataset_dir, out_dir, work_dir, dry_run (config added in the worker)
  double kill_grace_s = 5;
};

// The rules for one run: the plugin's output dir, its work dir, its temp dir, the harmless
// character devices programs expect to write to, and /dev/shm, where POSIX semaphores and
// shared memory live (multiprocessing's locks and pools need it), unless one of `untouchable`
// (the dataset, the output root) lies in it.
SandboxRules run_sandbox_rules(const std::filesystem::path& plugin_out_dir, const std::filesystem::path& work_dir,
                               const std::filesystem::path& tmp_dir,
                               const std::vector<std::filesystem::path>& untouchable);

// Fails with a message naming the plugin and the fix: not kind python, no valid callable, an
// unusable python env. `env`: resolved from request.options (the lane resolves it once).
Result<PythonRunPlan> plan_python_run(const RunRequest& request, const Result<PythonEnv>& env);

// True for module.path:attr.path with ASCII identifiers: the form entry.callable must have.
bool is_callable_ref(const std::string& text);

// describe(): the plan, without running anything.
nlohmann::json plan_to_json(const PythonRunPlan& plan, const RunRequest& request);

// The params of the worker's bootstrap run_plugin() (the worker adds its report_fd).
nlohmann::json worker_params(const PythonRunPlan& plan, const RunRequest& request);

} // namespace mdivicom::inproc
