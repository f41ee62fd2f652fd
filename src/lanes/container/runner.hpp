#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/error.hpp"
#include "core/run/lane.hpp"
#include "lanes/container/engine/engine.hpp"

namespace mdivicom::container {

// The process that owns a container, written into its labels so that a later run (or
// `mdivicom gc`) can tell a container whose runner was killed from one still in use.
struct RunnerIdentity
{
  std::string host; // hostname
  std::string boot; // kernel boot id: pids restart at every boot
  long pid = 0;
  std::string start; // process start time in clock ticks since boot: pids are reused
  std::string pidns; // "pid:[4026531836]": pids of another PID namespace are not ours to check

  static RunnerIdentity self();
  static RunnerIdentity from_labels(const nlohmann::json& labels);
  // True only when the runner is certainly gone (same host and PID namespace, and a different
  // boot, no such process, or another process with its pid). A process we may not see (another
  // user's, under /proc's hidepid) is alive.
  bool gone() const;
};

// Labels of a run's container: mdivicom.run_id, mdivicom.plugin and mdivicom.runner.*.
nlohmann::json run_labels(const RunRequest& request);

struct Leftover
{
  std::string id;
  std::string name;
  std::string run_id;
  std::string state;
  long runner_pid = 0;
};

// mdivicom containers on this engine whose runner is gone.
Result<std::vector<Leftover>> find_leftovers(const Engine& engine);

// Force-removes the leftovers (or only lists them): {"removed"|"found": [...], "errors": [...]}.
nlohmann::json reap_leftovers(const Engine& engine, bool dry_run);

// Force-removes one container with its anonymous volumes; "" or the failure.
std::string remove_container(const Engine& engine, const std::string& id) noexcept;

} // namespace mdivicom::container
