#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/run/lane.hpp"
#include "core/run/outcome_error.hpp"
#include "lanes/inproc/child_process.hpp"

namespace mdivicom::inproc {

// The worker's pipes, as seen by the parent.
struct WorkerPipes
{
  UniqueFd out;
  UniqueFd err;
  UniqueFd report;
  UniqueFd job; // where the worker reads its job; closed once job_bytes are sent
  std::vector<std::uint8_t> job_bytes;
};

struct SupervisedEnd
{
  ChildExit exit;
  StopReason stopped_by = StopReason::none; // a cancel after a timeout wins: the user asked last
  int cancelled_by = 0;                     // stopped_by cancelled: the signal mdivicom caught (SIGINT/SIGTERM)
  bool killed = false;                      // SIGKILL was sent: the grace period ran out, or
  bool second_interrupt = false;            // a second interrupt asked not to wait
  std::vector<nlohmann::json> events;       // the worker's report, in order
};

// Sends the worker its job (job_bytes, without blocking: the worker may be writing output
// first), streams the worker's stdout/stderr to `output` as they arrive and collects its report until
// it ends. Past `timeout_s` it sends SIGTERM to the worker's group; on an interrupt of mdivicom
// (interrupt_fd()/interrupt_requested()) it forwards SIGINT, so Python raises
// KeyboardInterrupt; after `grace_s` more (or a second interrupt) it sends SIGKILL. Returns
// with the worker reaped and nothing of its group left running.
SupervisedEnd supervise(ChildProcess& child, WorkerPipes& pipes, OutputSink& output, std::optional<double> timeout_s,
                        double grace_s);

} // namespace mdivicom::inproc
