#include "lanes/inproc/inproc.hpp"

#include "core/run/outcome_error.hpp"
#include "core/run/output_sweep.hpp"

#include "lanes/inproc/discovery/code_identity.hpp"
#include "lanes/inproc/python_plan.hpp"
#include "lanes/inproc/run_worker.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include <spdlog/spdlog.h>

namespace mdivicom::inproc {

namespace {

std::string seconds_text(double seconds)
{
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g s", seconds);
  return buffer;
}

RunOutcome start_failure(RunOutcome outcome, const std::string& message)
{
  outcome.status = RunStatus::failed;
  outcome.error = run_error(RunError::start_failed, message);
  return outcome;
}

const nlohmann::json* find_event(const std::vector<nlohmann::json>& events, const char* name)
{
  for (const auto& event : events) {
    if (event.value("event", "") == name) {
      return &event;
    }
  }
  return nullptr;
}

void add_facts(RunOutcome& outcome, const PythonRunPlan& plan, const RunRequest& request, const SupervisedEnd& end)
{
  nlohmann::json& python = outcome.facts["python"];
  if (const auto* started = find_event(end.events, "started")) {
    nlohmann::json reported = started->value("python", nlohmann::json::object());
    for (const auto& [key, value] : reported.items()) {
      python[key] = value;
    }
  }
  if (const auto* imported = find_event(end.events, "imported")) {
    python["module"] = imported->value("module", "");
    python["module_file"] = imported->value("module_file", nlohmann::json());
  }
  if (const auto* leftover = find_event(end.events, "leftover_processes")) {
    int count = leftover->value("count", 0);
    python["leftover_processes_killed"] = count;
    spdlog::warn("plugin {} left {} process(es) running after run() returned; mdivicom stopped them",
                 request.plugin.ref(), count);
  }
  if (const auto* sandbox = find_event(end.events, "sandbox")) {
    outcome.facts["sandbox"] = sandbox->value("facts", nlohmann::json::object());
  } else {
    outcome.facts["sandbox"] =
        sandbox_facts(plan.sandbox, SandboxResult::not_enforced(0, "the worker ended before it applied the sandbox"));
  }
  const nlohmann::json& facts = outcome.facts["sandbox"];
  if (facts.value("refused", false)) {
    return; // decide_status says why
  }
  if (!facts.value("enforced", false)) {
    spdlog::warn("plugin {} ran without the Landlock sandbox (writes were not confined to {}): {}",
                 request.plugin.ref(), request.plugin_out_dir.string(),
                 facts.value("reason", std::string("unknown reason")));
  }
  const nlohmann::json mounts = facts.value("mounts", nlohmann::json::object());
  if (!mounts.value("enforced", true)) {
    spdlog::warn("plugin {} ran without its read-only view of the file system (it could change file metadata, "
                 "and its processes may outlive the run): {}",
                 request.plugin.ref(), mounts.value("reason", std::string("unknown reason")));
  }
}

// The run's CPU time and peak memory. With the sandbox's namespaces the interpreter runs below
// the process mdivicom reaps, which learns its use from init (the "resources" event); without
// them, the worker is the interpreter. The larger of the two counts either way, and the
// interpreter's start (in a worker warmed up early) is part of it. No event from a sandboxed
// worker (SIGKILL after the grace period ended init too): the reaped process's own use is not
// the run's, so the record has none.
void add_resources(RunOutcome& outcome, const SupervisedEnd& end)
{
  double cpu_s = end.exit.cpu_s;
  long long peak = end.exit.peak_memory_bytes;
  const auto* reported = find_event(end.events, "resources");
  const nlohmann::json mounts = outcome.facts["sandbox"].value("mounts", nlohmann::json::object());
  if (reported == nullptr && mounts.value("enforced", false)) {
    return;
  }
  if (reported != nullptr) {
    cpu_s = std::max(cpu_s, reported->value("cpu_s", 0.0));
    peak = std::max(peak, reported->value("peak_memory_bytes", 0LL));
  }
  outcome.facts["resources"] = {
      {"cpu_s", std::round(cpu_s * 1000) / 1000}, {"peak_memory_bytes", peak}, {"source", "rusage"}};
}

// The worker refused to run anything: no namespaces, and the user did not opt out.
bool sandbox_refused(RunOutcome& outcome)
{
  const nlohmann::json& facts = outcome.facts["sandbox"];
  if (!facts.value("refused", false)) {
    return false;
  }
  outcome.status = RunStatus::failed;
  outcome.exit_code.reset(); // the worker's own refusal, not the plugin's
  outcome.error = run_error(RunError::sandbox_unavailable,
                            "the plugin was not started: its sandbox could not be set up: " +
                                facts.value("mounts", nlohmann::json::object()).value("reason", std::string("?")));
  return true;
}

void decide_status(RunOutcome& outcome, const PythonRunPlan& plan, const RunRequest& request, const SupervisedEnd& end)
{
  outcome.exit_code = end.exit.exit_code;
  outcome.signal = end.exit.signal;
  std::string killed = end.second_interrupt ? ", then SIGKILL on a second interrupt"
                       : end.killed         ? ", then SIGKILL after " + seconds_text(plan.kill_grace_s)
                                            : "";
  if (sandbox_refused(outcome)) {
    return;
  }
  switch (end.stopped_by) {
  case StopReason::cancelled:
    set_stopped(outcome, end.stopped_by,
                "mdivicom received signal " + describe_signal(end.cancelled_by) +
                    "; the plugin was sent SIGINT (KeyboardInterrupt)" + killed);
    return;
  case StopReason::timeout:
    set_stopped(outcome, end.stopped_by,
                "the plugin was still running after the timeout of " + seconds_text(request.timeout_s.value_or(0)) +
                    "; it was sent SIGTERM" + killed);
    return;
  case StopReason::none: break;
  }
  if (end.exit.signal) {
    outcome.status = RunStatus::crashed;
    outcome.error =
        run_error(RunError::crash, "the plugin's process was killed by signal " + describe_signal(*end.exit.signal) +
                                       "; the run log may hold a Python traceback from faulthandler");
    return;
  }
  if (end.exit.exit_code == 0) {
    outcome.status = RunStatus::succeeded;
    return;
  }
  outcome.status = RunStatus::failed;
  const nlohmann::json* report = find_event(end.events, "exception");
  if (report == nullptr) {
    report = find_event(end.events, "exit");
  }
  if (report != nullptr) {
    outcome.error = plugin_exception_error(report->value("type", ""), report->value("message", ""),
                                           report->value("traceback", nlohmann::json()));
    if (report->contains("exit_code") && (*report)["exit_code"].is_number_integer()) {
      outcome.exit_code = (*report)["exit_code"].get<int>(); // the real code, even past 255
    }
  } else if (find_event(end.events, "started") == nullptr) {
    outcome.error = run_error(RunError::start_failed, "the embedded Python did not start (exit code " +
                                                          std::to_string(end.exit.exit_code.value_or(-1)) +
                                                          "); the run log has its messages");
  } else {
    outcome.error = run_error(RunError::process_exit, "the plugin's process exited with code " +
                                                          std::to_string(end.exit.exit_code.value_or(-1)) +
                                                          " without returning (os._exit?)");
  }
}

class PythonLane : public Lane
{
public:
  // The worker needs no plugin, only the env: it starts the interpreter's core and waits.
  void warm_up(const nlohmann::json& options) override { start_worker(options); }

  CodeIdentity code_identity(const RunRequest& request) override { return python_code_identity(request.plugin); }

  void prepare(const Plugin& /*plugin*/, const nlohmann::json& options) override { start_worker(options); }

  RunOutcome execute(const RunRequest& request, OutputSink& output) override
  {
    RunOutcome outcome;
    outcome.backend = "python";
    auto plan = plan_python_run(request, env_for(request.options));
    if (!plan) {
      return start_failure(std::move(outcome), plan.error());
    }
    outcome.facts["python"] = {
        {"callable", plan->callable},
        {"entry_point", request.plugin.object.value("entry_point", nlohmann::json())},
        {"env", plan->env.to_json()},
        {"executable", plan->env.executable.string()},
    };
    try {
      if (!m_worker || m_worker_env != plan->env.executable) {
        m_worker.reset(); // a worker of another interpreter, killed
        m_worker.emplace(start_run_worker(plan->env.executable));
      }
      RunWorker& worker = *m_worker;
      worker.pipes.job_bytes = run_job(*plan, request);
      SupervisedEnd end = supervise(worker.child, worker.pipes, output, request.timeout_s, plan->kill_grace_s);
      add_facts(outcome, *plan, request, end);
      add_resources(outcome, end);
      // The process mdivicom started; the interpreter runs below it in a PID namespace of its own.
      outcome.facts["python"]["worker_pid"] = worker.child.pid();
      decide_status(outcome, *plan, request, end);
      // A plugin run by root can leave a setuid-root program: nosuid in the sandbox stops at its end.
      sweep_writable_binds(request, outcome, outcome.facts["python"]);
    } catch (const Error& error) {
      return start_failure(std::move(outcome), error.what());
    }
    return outcome;
  }

  nlohmann::json describe(const RunRequest& request) override
  {
    auto plan = plan_python_run(request, env_for(request.options));
    if (!plan) {
      throw Error(plan.error(), ExitCode::usage);
    }
    return plan_to_json(*plan, request);
  }

private:
  void start_worker(const nlohmann::json& options)
  {
    // Only the interpreter: the site dirs are read (env_for) while the worker starts.
    Result<std::filesystem::path> executable = python_executable_from_options(options);
    if (!executable || (m_worker && m_worker_env == *executable)) {
      return; // execute() reports a bad env; a worker of this env is already starting
    }
    try {
      m_worker.emplace(start_run_worker(*executable));
      m_worker_env = *executable;
    } catch (const Error&) {
      // execute() tries again and reports what fails.
    }
  }

  // Resolved once for warm_up, prepare, execute and describe, which get the same options.
  const Result<PythonEnv>& env_for(const nlohmann::json& options)
  {
    if (!m_env || m_env_options != options) {
      m_env.emplace(resolve_python_env_from_options(options));
      m_env_options = options;
    }
    return *m_env;
  }

  std::optional<Result<PythonEnv>> m_env;
  nlohmann::json m_env_options;
  // Started by warm_up() or prepare(); a worker execute() does not use is killed with the lane.
  std::optional<RunWorker> m_worker;
  std::filesystem::path m_worker_env;
};

} // namespace

std::unique_ptr<Lane> make_python_lane()
{
  return std::make_unique<PythonLane>();
}

} // namespace mdivicom::inproc
