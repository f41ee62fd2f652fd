#include "core/run/run.hpp"

#include "core/run/plugin_run.hpp"

namespace mdivicom {

nlohmann::json describe_run(PluginCatalog& catalog, const RunOptions& options, const LaneFactory& lanes)
{
  PluginRun run(catalog, options, lanes);
  return run.plan_summary();
}

ExitCode run_plugin(PluginCatalog& catalog, const RunOptions& options, const LaneFactory& lanes)
{
  PluginRun run(catalog, options, lanes);
  run.prepare_directories();
  if (std::optional<ExitCode> done = run.check_up_to_date()) {
    return *done;
  }
  run.claim_outputs();
  run.start_record();
  RunOutcome outcome = run.execute();
  return run.record_outcome(std::move(outcome));
}

} // namespace mdivicom
