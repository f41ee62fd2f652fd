#include "lanes/inproc/inproc.hpp"

#include "core/module.hpp"
#include "lanes/inproc/embedded_python.hpp"
#include "lanes/inproc/python_plan.hpp"
#include "lanes/inproc/run_supervisor.hpp"
#include "lanes/inproc/worker.hpp"

#include <cstdio>
#include <cstdlib>

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace mdivicom::inproc {

namespace {

constexpr int k_worker_setup_failed = 71; // EX_OSERR

std::string seconds_text(double seconds)
{
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g s", seconds);
  return buffer;
}

// In the worker: stdio onto the pipes, the sandbox, then the interpreter. Returns the exit code.
int worker_main(const PythonRunPlan& plan, const RunRequest& request, int out_fd, int err_fd, int report_fd)
{
  int out = move_fd_high(out_fd);
  int err = move_fd_high(err_fd);
  int report = move_fd_high(report_fd);
  int devnull = open("/dev/null", O_RDONLY);
  if (out < 0 || err < 0 || report < 0 || devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) {
    return k_worker_setup_failed;
  }
  // Nothing of the parent's (sockets, lock files, the interrupt pipe) leaks into the plugin.
  close_range(3, static_cast<unsigned>(report - 1), 0);
  close_range(static_cast<unsigned>(report + 1), ~0U, 0);

  // Before the interpreter starts, so nothing the plugin runs escapes the rules.
  SandboxResult sandbox = enforce_sandbox(plan.sandbox);
  write_all(report,
            nlohmann::json{{"event", "sandbox"}, {"facts", sandbox_facts(plan.sandbox, sandbox)}}.dump() + "\n");
  if (!request.tmp_dir.empty()) {
    setenv("TMPDIR", request.tmp_dir.c_str(), 1);
  }
  return run_in_interpreter({plan.env.executable, true}, "run_plugin", worker_params(plan, request, report));
}

RunOutcome start_failure(RunOutcome outcome, const std::string& message)
{
  outcome.status = RunStatus::failed;
  outcome.error = {{"type", "mdivicom.StartError"}, {"message", message}};
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
    python["worker_pid"] = started->value("pid", 0);
  }
  if (const auto* imported = find_event(end.events, "imported")) {
    python["module"] = imported->value("module", "");
    python["module_file"] = imported->value("module_file", nlohmann::json());
  }
  if (const auto* sandbox = find_event(end.events, "sandbox")) {
    outcome.facts["sandbox"] = sandbox->value("facts", nlohmann::json::object());
  } else {
    outcome.facts["sandbox"] =
        sandbox_facts(plan.sandbox, {false, 0, "the worker ended before it applied the sandbox"});
  }
  if (!outcome.facts["sandbox"].value("enforced", false)) {
    spdlog::warn("plugin {} ran without the Landlock sandbox (writes were not confined to {}): {}",
                 request.plugin.ref(), request.plugin_out_dir.string(),
                 outcome.facts["sandbox"].value("reason", std::string("unknown reason")));
  }
}

void decide_status(RunOutcome& outcome, const PythonRunPlan& plan, const RunRequest& request, const SupervisedEnd& end)
{
  outcome.exit_code = end.exit.exit_code;
  outcome.signal = end.exit.signal;
  std::string killed = end.second_interrupt ? ", then SIGKILL on a second interrupt"
                       : end.killed         ? ", then SIGKILL after " + seconds_text(plan.kill_grace_s)
                                            : "";
  if (end.cancelled_by != 0) {
    outcome.status = RunStatus::cancelled;
    outcome.error = {{"type", "mdivicom.Cancelled"},
                     {"message", "mdivicom received signal " + describe_signal(end.cancelled_by) +
                                     "; the plugin was sent SIGINT (KeyboardInterrupt)" + killed}};
    return;
  }
  if (end.timed_out) {
    outcome.status = RunStatus::timeout;
    outcome.error = {{"type", "mdivicom.Timeout"},
                     {"message", "the plugin was still running after the timeout of " +
                                     seconds_text(request.timeout_s.value_or(0)) + "; it was sent SIGTERM" + killed}};
    return;
  }
  if (end.exit.signal) {
    outcome.status = RunStatus::crashed;
    outcome.error = {{"type", "mdivicom.Crash"},
                     {"message", "the plugin's process was killed by signal " + describe_signal(*end.exit.signal) +
                                     "; the run log may hold a Python traceback from faulthandler"}};
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
    outcome.error = {{"type", report->value("type", "")}, {"message", report->value("message", "")}};
    if (report->contains("traceback")) {
      outcome.error["traceback"] = (*report)["traceback"];
    }
    if (report->contains("exit_code") && (*report)["exit_code"].is_number_integer()) {
      outcome.exit_code = (*report)["exit_code"].get<int>(); // the real code, even past 255
    }
  } else if (find_event(end.events, "started") == nullptr) {
    outcome.error = {{"type", "mdivicom.StartError"},
                     {"message", "the embedded Python did not start (exit code " +
                                     std::to_string(end.exit.exit_code.value_or(-1)) +
                                     "); the run log has its messages"}};
  } else {
    outcome.error = {{"type", "mdivicom.ProcessExit"},
                     {"message", "the plugin's process exited with code " +
                                     std::to_string(end.exit.exit_code.value_or(-1)) +
                                     " without returning (os._exit?)"}};
  }
}

class PythonLane : public Lane
{
public:
  void prepare() override
  {
    try {
      // Loaded here, the worker inherits libpython already relocated.
      module_symbol(k_python_module, k_python_entry, SymbolScope::global);
    } catch (const Error&) {
      // The worker reports it when it needs the module.
    }
  }

  RunOutcome execute(const RunRequest& request, OutputSink& output) override
  {
    RunOutcome outcome;
    outcome.backend = "python";
    auto plan = plan_python_run(request);
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
      Pipe out = make_pipe();
      Pipe err = make_pipe();
      Pipe report = make_pipe();
      std::fflush(nullptr); // or the worker would print the parent's buffered output again
      ChildProcess child = ChildProcess::start(
          [&]() { return worker_main(*plan, request, out.write.get(), err.write.get(), report.write.get()); });
      out.write.reset();
      err.write.reset();
      report.write.reset();
      WorkerPipes pipes{std::move(out.read), std::move(err.read), std::move(report.read)};
      SupervisedEnd end = supervise(child, pipes, output, request.timeout_s, plan->kill_grace_s);
      add_facts(outcome, *plan, request, end);
      decide_status(outcome, *plan, request, end);
    } catch (const Error& error) {
      return start_failure(std::move(outcome), error.what());
    }
    return outcome;
  }

  nlohmann::json describe(const RunRequest& request) override
  {
    auto plan = plan_python_run(request);
    if (!plan) {
      throw Error(plan.error(), ExitCode::usage);
    }
    return plan_to_json(*plan, request);
  }
};

} // namespace

std::unique_ptr<Lane> make_python_lane()
{
  return std::make_unique<PythonLane>();
}

} // namespace mdivicom::inproc
