#include "lanes/inproc/python_plan.hpp"

#include "core/util/fs.hpp"
#include "lanes/inproc/discovery/code_identity.hpp"
#include "lanes/inproc/discovery/pyproject.hpp"

#include <string_view>

namespace mdivicom::inproc {

namespace fs = std::filesystem;

namespace {

constexpr double k_default_kill_grace_s = 5;

// name(.name)* with ASCII names: [A-Za-z_][A-Za-z0-9_]*.
bool is_dotted_name(std::string_view text)
{
  bool at_start = true;
  for (char c : text) {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (c == '.' && !at_start) {
      at_start = true;
    } else if (letter || (digit && !at_start)) {
      at_start = false;
    } else {
      return false;
    }
  }
  return !at_start;
}

std::string plugin_callable(const Plugin& plugin)
{
  auto run_ref = plugin.object.find("run_ref");
  if (run_ref != plugin.object.end() && run_ref->is_string()) {
    return run_ref->get<std::string>();
  }
  auto callable = plugin.entry().find("callable");
  return callable != plugin.entry().end() && callable->is_string() ? callable->get<std::string>() : "";
}

std::vector<fs::path> plugin_sys_path(const Plugin& plugin)
{
  std::vector<fs::path> dirs;
  auto dev_root = plugin.object.find("dev_root");
  if (dev_root != plugin.object.end() && dev_root->is_string()) {
    dirs = dev_root_import_dirs(dev_root->get<std::string>());
  }
  for (fs::path& dir : entry_python_path(plugin)) {
    dirs.push_back(std::move(dir));
  }
  return dirs;
}

} // namespace

// module.path:attr.path (written out: compiling a std::regex cost every run ~0.2 ms).
bool is_callable_ref(const std::string& text)
{
  const size_t colon = text.find(':');
  return colon != std::string::npos && is_dotted_name(std::string_view(text).substr(0, colon)) &&
         is_dotted_name(std::string_view(text).substr(colon + 1));
}

SandboxRules run_sandbox_rules(const fs::path& plugin_out_dir, const fs::path& work_dir, const fs::path& tmp_dir,
                               const std::vector<fs::path>& untouchable)
{
  SandboxRules rules;
  for (const auto& dir : {plugin_out_dir, work_dir, tmp_dir}) {
    if (!dir.empty()) {
      rules.writable_dirs.push_back(dir);
    }
  }
  rules.writable_files = {"/dev/null", "/dev/zero", "/dev/full"}; // no /dev/tty: the worker has no terminal
  const fs::path shared_memory = "/dev/shm";
  std::error_code error;
  if (fs::is_directory(shared_memory, error)) {
    for (const auto& dir : untouchable) {
      if (!dir.empty() && is_same_or_within(dir, shared_memory)) {
        rules.note = "/dev/shm is not writable because " + dir.string() +
                     " lies in it; POSIX semaphores and shared memory (Python's multiprocessing locks "
                     "and pools) will fail: keep the dataset and --out outside /dev/shm";
        return rules;
      }
    }
    rules.writable_dirs.push_back(shared_memory);
  }
  return rules;
}

Result<PythonRunPlan> plan_python_run(const RunRequest& request, const Result<PythonEnv>& env)
{
  const Plugin& plugin = request.plugin;
  std::string name = "plugin " + plugin.ref() + " (" + plugin.origin() + ")";
  if (plugin.kind() != "python") {
    return Failure{name + " is of kind '" + plugin.kind() +
                   "'; the python backend runs kind 'python' only; "
                   "use --backend auto to pick the backend from the plugin"};
  }
  std::string callable = plugin_callable(plugin);
  if (callable.empty()) {
    return Failure{name + " has no entry.callable; its registration must name the run function as "
                          "\"module:function\""};
  }
  if (!is_callable_ref(callable)) {
    return Failure{name + ": entry.callable '" + callable + "' is not of the form \"module:function\""};
  }
  if (!env) {
    return Failure{env.error()};
  }
  PythonRunPlan plan;
  plan.env = *env;
  plan.callable = callable;
  plan.sys_path_prepend = plugin_sys_path(plugin);
  plan.sandbox = run_sandbox_rules(request.plugin_out_dir, request.work_dir, request.tmp_dir,
                                   {request.dataset_dir, request.out_root});
  plan.kwargs = {
      {"dataset_dir", request.dataset_dir.string()},
      {"out_dir", request.plugin_out_dir.string()},
      {"work_dir", request.work_dir.empty() ? nlohmann::json() : nlohmann::json(request.work_dir.string())},
      {"dry_run", request.dry_run},
  };
  auto grace = request.options.find("kill_grace_s");
  plan.kill_grace_s = grace != request.options.end() && grace->is_number() && grace->get<double>() >= 0
                          ? grace->get<double>()
                          : k_default_kill_grace_s;
  return plan;
}

nlohmann::json plan_to_json(const PythonRunPlan& plan, const RunRequest& request)
{
  nlohmann::json kwargs = plan.kwargs;
  kwargs["config"] = request.config;
  nlohmann::json sys_path = nlohmann::json::array();
  for (const auto& dir : plan.sys_path_prepend) {
    sys_path.push_back(dir.string());
  }
  LandlockSupport support = landlock_support();
  SandboxResult expected = SandboxResult::not_enforced(support.abi, support.reason);
  expected.enforced = support.abi > 0;
  expected.devices_guarded = support.abi >= 5;
  return {
      {"backend", "python"},
      {"worker",
       "mdivicom-python-worker, a process of its own in its own session, embedding libpython " + python_version_tag()},
      {"python",
       {{"executable", plan.env.executable.string()},
        {"env", plan.env.to_json()},
        {"sys_path_prepend", std::move(sys_path)},
        {"callable", plan.callable},
        {"call", plan.callable + "(**kwargs)"},
        {"kwargs", std::move(kwargs)}}},
      {"environment", {{"TMPDIR", request.tmp_dir.string()}}},
      {"sandbox", sandbox_facts(plan.sandbox, expected)},
      {"timeout_s", request.timeout_s ? nlohmann::json(*request.timeout_s) : nlohmann::json()},
      {"kill_grace_s", plan.kill_grace_s},
  };
}

nlohmann::json worker_params(const PythonRunPlan& plan, const RunRequest& request)
{
  nlohmann::json sys_path = nlohmann::json::array();
  for (const auto& dir : plan.sys_path_prepend) {
    sys_path.push_back(dir.string());
  }
  return {
      {"callable", plan.callable},
      {"tmp_dir", request.tmp_dir.string()},
      {"sys_path_prepend", std::move(sys_path)},
      {"kwargs", plan.kwargs},
      // The text as given, not the canonical form: json.loads keeps its keys' order, as the
      // reference hands the plugin the config it loaded.
      {"config_text", !request.config_source.empty() ? request.config_source
                      : request.config_text.empty()  ? std::string("{}")
                                                     : request.config_text},
  };
}

} // namespace mdivicom::inproc
