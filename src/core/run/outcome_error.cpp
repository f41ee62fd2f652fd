#include "core/run/outcome_error.hpp"

namespace mdivicom {

std::string_view to_string(RunError kind)
{
  switch (kind) {
  case RunError::runner: return "mdivicom.RunnerError";
  case RunError::runner_killed: return "mdivicom.RunnerKilled";
  case RunError::start_failed: return "mdivicom.StartError";
  case RunError::sandbox_unavailable: return "mdivicom.SandboxUnavailable";
  case RunError::manifest: return "mdivicom.ManifestError";
  case RunError::engine_unavailable: return "mdivicom.EngineUnavailable";
  case RunError::engine_lost: return "mdivicom.EngineLost";
  case RunError::image: return "mdivicom.ImageError";
  case RunError::unsafe_bind: return "mdivicom.UnsafeBind";
  case RunError::wait_failed: return "mdivicom.WaitFailed";
  case RunError::stop_failed: return "mdivicom.StopFailed";
  case RunError::timeout: return "mdivicom.Timeout";
  case RunError::cancelled: return "mdivicom.Cancelled";
  case RunError::crash: return "mdivicom.Crash";
  case RunError::out_of_memory: return "mdivicom.OutOfMemory";
  case RunError::process_exit: return "mdivicom.ProcessExit";
  case RunError::unsafe_outputs: return "mdivicom.UnsafeOutputs";
  case RunError::result_bundle: return "mdivicom.ResultBundleError";
  case RunError::slurm_ended: return "mdivicom.SlurmEnded";
  }
  return "mdivicom.RunnerError";
}

std::optional<RunError> run_error_kind(std::string_view type)
{
  for (RunError kind : k_run_errors) {
    if (to_string(kind) == type) {
      return kind;
    }
  }
  return std::nullopt;
}

bool is_infrastructure_failure(RunError kind)
{
  switch (kind) {
  case RunError::runner:
  case RunError::runner_killed:
  case RunError::start_failed:
  case RunError::sandbox_unavailable:
  case RunError::engine_unavailable:
  case RunError::engine_lost:
  case RunError::image:
  case RunError::wait_failed:
  case RunError::stop_failed: return true;
  // The plugin's own doing, or what it was given: running it again as it is fails again.
  case RunError::manifest:
  case RunError::unsafe_bind:
  case RunError::timeout:
  case RunError::cancelled:
  case RunError::crash:
  case RunError::out_of_memory:
  case RunError::process_exit:
  case RunError::unsafe_outputs:
  case RunError::result_bundle:
  // Mostly the limits asked for the plugin (--time, --mem) ran out; batch counts it as failed.
  case RunError::slurm_ended: return false;
  }
  return true;
}

ExitCode run_exit_code(RunStatus status, const nlohmann::json& error)
{
  switch (status) {
  case RunStatus::succeeded: return ExitCode::ok;
  case RunStatus::cancelled: return ExitCode::interrupted;
  default: break;
  }
  if (error.is_object()) {
    const auto type = error.find("type");
    if (type != error.end() && type->is_string()) {
      const std::optional<RunError> kind = run_error_kind(type->get<std::string>());
      if (kind && is_infrastructure_failure(*kind)) {
        return ExitCode::infrastructure;
      }
    }
  }
  return ExitCode::failed;
}

nlohmann::json run_error(RunError kind, const std::string& message)
{
  return {{"type", to_string(kind)}, {"message", message}};
}

nlohmann::json plugin_exception_error(const std::string& type, const std::string& message,
                                      const nlohmann::json& traceback)
{
  nlohmann::json error = {{"type", type}, {"message", message}};
  if (!traceback.is_null()) {
    error["traceback"] = traceback;
  }
  return error;
}

std::string_view to_string(StopReason reason)
{
  switch (reason) {
  case StopReason::none: return "";
  case StopReason::cancelled: return "cancelled";
  case StopReason::timeout: return "timeout";
  }
  return "";
}

void set_stopped(RunOutcome& outcome, StopReason reason, const std::string& message)
{
  switch (reason) {
  case StopReason::none: return;
  case StopReason::cancelled:
    outcome.status = RunStatus::cancelled;
    outcome.error = run_error(RunError::cancelled, message);
    return;
  case StopReason::timeout:
    outcome.status = RunStatus::timeout;
    outcome.error = run_error(RunError::timeout, message);
    return;
  }
}

} // namespace mdivicom
