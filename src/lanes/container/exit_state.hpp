#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/run/lane.hpp"
#include "core/run/outcome_error.hpp"

namespace mdivicom::container {

// From the engine's inspect of the stopped container (null when there is none): OOM kill,
// start and finish times, the engine's error into `facts`; the exit code when the wait gave none.
void record_exit_state(const nlohmann::json& inspect, RunOutcome& outcome, nlohmann::json& facts);

// The run's status and error from how it was stopped, the exit code and the OOM kill: a code of
// 129-192 is a signal (crashed), an OOM kill is crashed too.
void decide_status(StopReason stop_reason, RunOutcome& outcome, const nlohmann::json& facts);

} // namespace mdivicom::container
