#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/run/lane.hpp"
#include "core/util/error.hpp"

namespace mdivicom {

// Every error.type mdivicom itself writes into a run record, whichever lane ran the plugin: one
// meaning, one name. The names (to_string) all start with "mdivicom.", as the Python lane's
// always did (the container lane and core wrote Timeout, OOMKilled, RunnerError before), so a
// reader tells the runner's verdict from a plugin's own exception (plugin_exception_error:
// ValueError, mypkg.BadInput) by the name alone. schemas/run-record.schema.json lists them: a
// new kind goes there too, and in the README (tests/core/test_outcome_error.cpp checks both).
enum class RunError {
  runner,              // mdivicom failed itself (an exception, out of memory) with the record "running"
  runner_killed,       // mdivicom was killed mid-run; the next run of the same O/<id>/ finalized the record
  start_failed,        // the plugin was never started: its interpreter, or the engine's create, attach or start
  sandbox_unavailable, // the Python lane's namespaces cannot be made here; nothing of the plugin ran
  manifest,            // the plugin's entry cannot be run as written (image reference, pull policy)
  engine_unavailable,  // no container engine answers
  engine_lost,         // the engine went away while the container ran
  image,               // the image cannot be found, pulled or loaded
  unsafe_bind,         // a directory the container would be given is refused (dataset links, the output dir)
  wait_failed,         // the engine's answer to waiting for the container is not an exit status
  stop_failed,         // the container did not stop when told to, nor when killed
  timeout,             // stopped after --timeout
  cancelled,           // stopped by Ctrl-C, SIGTERM or SIGHUP to mdivicom
  crash,               // the plugin's process was killed by a signal (status crashed)
  out_of_memory,       // the container was killed for memory (status crashed)
  process_exit,        // the plugin's process exited non-zero without reporting an exception
  unsafe_outputs,      // the outputs could not all be swept of setuid programs and special files
  result_bundle,       // the plugin's resultbundle.json is invalid, or one it declared cannot be written
  slurm_ended,         // Slurm ended a batch task before its run could finalize the record (core/batch)
};

// Every kind, in the order above: for tests and documentation that must name them all.
inline constexpr std::array k_run_errors = {
    RunError::runner,         RunError::runner_killed,
    RunError::start_failed,   RunError::sandbox_unavailable,
    RunError::manifest,       RunError::engine_unavailable,
    RunError::engine_lost,    RunError::image,
    RunError::unsafe_bind,    RunError::wait_failed,
    RunError::stop_failed,    RunError::timeout,
    RunError::cancelled,      RunError::crash,
    RunError::out_of_memory,  RunError::process_exit,
    RunError::unsafe_outputs, RunError::result_bundle,
    RunError::slurm_ended,
};

// The record's error.type of a kind: "mdivicom.Timeout", ...
std::string_view to_string(RunError kind);

// The kind named by a record's error.type; none for a plugin's own exception (or an older name).
std::optional<RunError> run_error_kind(std::string_view type);

// Whether a kind is a failure of the runner or of what it needs (the engine, the image, the
// worker, the host), not of the plugin: such a run exits 4 (ExitCode::infrastructure), so that a
// script tells "retry once the host is fixed" from "the plugin failed" (exit 1). The README's
// error.type table says which is which.
bool is_infrastructure_failure(RunError kind);

// The exit code of a run that ended with `status` and the record's `error` object: 0
// succeeded, 130 cancelled, 4 an infrastructure failure, else 1.
ExitCode run_exit_code(RunStatus status, const nlohmann::json& error);

// The record's `error` object: {"type": to_string(kind), "message": message}.
nlohmann::json run_error(RunError kind, const std::string& message);

// The `error` object of a Python plugin that raised: the exception's own qualified name
// (ValueError, mypkg.errors.BadInput, SystemExit), its message and, when given, its traceback.
nlohmann::json plugin_exception_error(const std::string& type, const std::string& message,
                                      const nlohmann::json& traceback = nullptr);

// Why a lane stopped a plugin that was still running; none when it ended by itself.
enum class StopReason { none, cancelled, timeout };

// "", "cancelled", "timeout": as the container facts' stop.reason records it.
std::string_view to_string(StopReason reason);

// A run the lane stopped: status cancelled or timeout, with the error of the same name and
// `message` (which says how it was stopped). Nothing for StopReason::none.
void set_stopped(RunOutcome& outcome, StopReason reason, const std::string& message);

} // namespace mdivicom
