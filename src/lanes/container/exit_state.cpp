#include "lanes/container/exit_state.hpp"

#include <spdlog/spdlog.h>

namespace mdivicom::container {

namespace {

// Podman on a cgroups v1 host never reports an OOM kill (not in inspect, not as an event): a
// SIGKILL under a memory limit is then named as a possible one.
std::string unreported_oom_hint(int code, const nlohmann::json& facts)
{
  auto engine = facts.value(nlohmann::json::json_pointer("/engine/name"), std::string());
  auto memory = facts.value(nlohmann::json::json_pointer("/security/memory_bytes"), nlohmann::json());
  if (code != 128 + 9 || engine != "podman" || !memory.is_number_integer()) {
    return "";
  }
  return "; Podman does not report out-of-memory kills on cgroups v1 hosts, so this may have been one: the "
         "memory limit is " +
         std::to_string(memory.get<uint64_t>() >> 20) + " MiB, raise entry.resources.memory if the plugin needs more";
}

} // namespace

void record_exit_state(const nlohmann::json& inspect, RunOutcome& outcome, nlohmann::json& facts)
{
  if (!inspect.is_object()) {
    return;
  }
  auto state = inspect.value("State", nlohmann::json::object());
  facts["oom_killed"] = state.value("OOMKilled", false);
  facts["started_at"] = state.value("StartedAt", "");
  facts["finished_at"] = state.value("FinishedAt", "");
  if (!outcome.exit_code && state.contains("ExitCode") && state["ExitCode"].is_number_integer() &&
      state.value("Status", "") == "exited") {
    outcome.exit_code = state["ExitCode"].get<int>();
  }
  std::string error = state.value("Error", "");
  if (!error.empty()) {
    facts["engine_error"] = error;
  }
}

void decide_status(StopReason stop_reason, RunOutcome& outcome, const nlohmann::json& facts)
{
  switch (stop_reason) {
  case StopReason::cancelled:
    set_stopped(outcome, stop_reason, "interrupted; the container was stopped and removed");
    return;
  case StopReason::timeout:
    set_stopped(outcome, stop_reason, "the container exceeded --timeout; it was stopped and removed");
    return;
  case StopReason::none: break;
  }
  if (!outcome.error.is_null()) {
    outcome.status = RunStatus::failed;
    return;
  }
  int code = outcome.exit_code.value_or(-1);
  if (facts.value("oom_killed", false) && code != 0) {
    outcome.status = RunStatus::crashed;
    outcome.signal = code == 137 ? std::optional<int>(9) : std::nullopt;
    outcome.error = run_error(RunError::out_of_memory, "the container ran out of memory and was killed (exit code " +
                                                           std::to_string(code) + "); raise entry.resources.memory");
  } else if (code == 0) {
    // A process inside was killed for memory, but the plugin carried on and succeeded.
    if (facts.value("oom_killed", false)) {
      spdlog::warn("a process in the container ran out of memory and was killed; the plugin still exited 0");
    }
    outcome.status = RunStatus::succeeded;
  } else if (code > 128 && code <= 128 + 64) {
    outcome.status = RunStatus::crashed;
    outcome.signal = code - 128;
    outcome.error =
        run_error(RunError::crash, "the container's process was killed by signal " + std::to_string(code - 128) +
                                       " (exit code " + std::to_string(code) + ")" + unreported_oom_hint(code, facts));
  } else {
    outcome.status = RunStatus::failed;
    outcome.error = run_error(RunError::process_exit, "the container exited with code " + std::to_string(code));
  }
}

} // namespace mdivicom::container
