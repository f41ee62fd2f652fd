#include "lanes/inproc/inproc.hpp"

#include "lanes/inproc/sandbox/landlock.hpp"
#include "lanes/inproc/discovery/plugin_cache.hpp"
#include "lanes/inproc/discovery/pyproject.hpp"
#include "lanes/inproc/discovery/python_env.hpp"
#include "lanes/inproc/worker.hpp"

namespace mdivicom::inproc {

namespace {

constexpr double k_probe_timeout_s = 30;

nlohmann::json python_facts(const std::optional<std::filesystem::path>& python_env)
{
  auto env = resolve_python_env(python_env);
  if (!env) {
    return {{"ok", false},
            {"error", env.error()},
            {"fix", "point --python-env / MDIVICOM_PYTHON_ENV at a venv made by " + std::string(k_system_python)}};
  }
  nlohmann::json facts = {{"env", env->to_json()}, {"embedded_version", python_version_tag()}};
  nlohmann::json probe;
  WorkerRun run;
  try {
    run = run_reporting_worker(*env, "probe", {{"sys_path_prepend", nlohmann::json::array()}}, k_probe_timeout_s,
                               [&](const nlohmann::json& event) {
                                 if (event.value("event", "") == "probe") {
                                   probe = event.value("python", nlohmann::json::object());
                                 }
                                 return false;
                               });
  } catch (const Error& error) {
    facts["ok"] = false;
    facts["error"] = error.what();
    facts["fix"] = "reinstall mdivicom: its Python worker program is part of it";
    return facts;
  }
  if (probe.is_object() && !probe.empty()) {
    facts["ok"] = true;
    for (const auto& [key, value] : probe.items()) {
      facts[key] = value;
    }
  } else if (!run.sandbox_refused.empty()) {
    facts["ok"] = false;
    facts["error"] = "Python plugins cannot run here: their sandbox could not be set up";
    facts["fix"] = run.sandbox_refused; // the reason names what to change, or how to opt out
  } else {
    facts["ok"] = false;
    facts["error"] = "the embedded Python did not start with " + env->executable.string() +
                     (run.exit.signal ? " (killed by signal " + describe_signal(*run.exit.signal) + ")"
                                      : " (exit code " + std::to_string(run.exit.exit_code.value_or(-1)) + ")");
    facts["fix"] = "install Debian's python3 (" + std::string(k_system_python) + ", " + python_version_tag() +
                   ") and check that the venv, if any, was made with it";
  }
  return facts;
}

nlohmann::json landlock_facts()
{
  LandlockSupport support = landlock_support();
  nlohmann::json facts = {{"available", support.abi > 0}, {"abi", support.abi}};
  if (support.abi == 0) {
    facts["reason"] = support.reason;
    facts["fix"] = support.reason; // the reason names what to change
    facts["effect"] = "Python plugins still run, but their writes are not confined to their output dir";
  }
  return facts;
}

} // namespace

nlohmann::json doctor_facts(const std::optional<std::filesystem::path>& python_env)
{
  nlohmann::json dev_roots = nlohmann::json::array();
  for (const auto& root : dev_plugin_roots()) {
    dev_roots.push_back(root.string());
  }
  auto cache = PluginCache::default_path();
  return {
      {"python", python_facts(python_env)},
      {"landlock", landlock_facts()},
      {"plugin_cache", cache.empty() ? nlohmann::json() : nlohmann::json(cache.string())},
      {"dev_plugin_roots", std::move(dev_roots)},
  };
}

} // namespace mdivicom::inproc
