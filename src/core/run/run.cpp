#include "core/run/run.hpp"

#include "core/run/plugin_run.hpp"

namespace mdivicom {

nlohmann::json describe_run(PluginCatalog& catalog, const RunOptions& options, const LaneFactory& lanes)
{
  PluginRun run(catalog, options, lanes);
  return run.plan_summary();
}

ExitCode run_plugin(PluginCatalog& catalog, const RunOptions& options, const LaneFactory& lanes, RunSummary* summary)
{
  PluginRun run(catalog, options, lanes);
  run.prepare_directories();
  if (std::optional<ExitCode> done = run.check_up_to_date()) {
    if (summary != nullptr) {
      *summary = run.summary();
    }
    return *done;
  }
  run.claim_outputs();
  run.start_record();
  ExitCode code = ExitCode::ok;
  try {
    RunOutcome outcome = run.execute();
    code = run.record_outcome(std::move(outcome));
  } catch (const Error& e) {
    // The record says mdivicom.RunnerError (RecordGuard): the runner failed, not the plugin.
    if (e.code() == ExitCode::failed) {
      throw Error(e.what(), ExitCode::infrastructure);
    }
    throw;
  }
  if (summary != nullptr) {
    *summary = run.summary();
  }
  return code;
}

} // namespace mdivicom
