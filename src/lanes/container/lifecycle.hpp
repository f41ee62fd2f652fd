#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "core/run/lane.hpp"
#include "lanes/container/engine/engine.hpp"
#include "lanes/container/plan.hpp"

namespace mdivicom::container {

struct LifecycleOptions
{
  std::optional<double> timeout_s; // from container start; then stop
  double stop_grace_s = 10;        // SIGTERM, then SIGKILL after this long
};

// Creates the container, streams its stdout/stderr into the sink while it runs, stops it on
// timeout or interrupt (core's InterruptScope), reads its exit state and always removes it.
// Adds container_id, exit state, timing and the removal to `facts`.
RunOutcome run_container(const Engine& engine, const ContainerPlan& plan, const LifecycleOptions& options,
                         OutputSink& sink, nlohmann::json& facts);

} // namespace mdivicom::container
