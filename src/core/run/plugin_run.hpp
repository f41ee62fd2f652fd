#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/dataset/identity.hpp"
#include "core/records/rocrate.hpp"
#include "core/records/rocrate_update.hpp"
#include "core/run/log.hpp"
#include "core/run/output_slot.hpp"
#include "core/run/plan.hpp"
#include "core/run/record.hpp"
#include "core/run/record_guard.hpp"
#include "core/run/run_key.hpp"
#include "core/run/run.hpp"
#include "core/run/scratch_dir.hpp"
#include "core/util/interrupt.hpp"
#include "core/util/phase_clock.hpp"

namespace mdivicom {

// One `mdivicom run`, as the steps of ARCHITECTURE.md's "flow of one run". run_plugin calls them
// once each, in order; describe_run stops after the first. The object owns what one step leaves
// for the next (the lane, the scratch dir, the output slot, the record, the log) in the order
// they are made, so that a run that ends early (a usage error, an exception) undoes them in
// reverse: the record finalized as failed, parked outputs given back, the scratch dir removed,
// an unused Python worker stopped with the lane.
class PluginRun
{
public:
  // 1. Plan: checks the run's settings, then plan_run (which resolves the plugin in the catalog)
  // starts the plugin's lane as soon as the plugin is known (start_lane), and the run's scratch
  // dir is made. Throws a usage Error for bad input; nothing in --out changes.
  PluginRun(PluginCatalog& catalog, const RunOptions& options, const LaneFactory& lanes);
  PluginRun(const PluginRun&) = delete;
  PluginRun& operator=(const PluginRun&) = delete;

  // What --plan prints: the plan and the lane's exact requests, secret config values redacted.
  nlohmann::json plan_summary();

  // 2. Prepare: the lane's last refusal, O/_runs/ and the work dir made and checked, the
  // interrupt handlers, the output slot's lock taken (a killed run's parked outputs given back).
  void prepare_directories();

  // 3. Up to date? The dataset's identity, the plugin's code identity and the run's key, against
  // the latest run of O/<id> (core/run/freshness.hpp). Returns 0 when nothing needs to run (the
  // run is up to date and not forced); throws an Error with exit 3 when O/<id> holds outputs
  // of a run that differs and --overwrite is not given; nullopt when the run goes on, after
  // claim_outputs: the earlier outputs parked, the record's reserve made.
  std::optional<ExitCode> check_up_to_date();
  void claim_outputs();

  // 4. Record (start): the inputs file and the "running" record, atomically.
  void start_record();

  // 5. Execute: the lane runs the plugin into the run log, while the crate is read on a thread.
  // A lane that throws is a failed run (RunError::runner), never an escaped exception.
  RunOutcome execute();

  // 6. Record (end): the outcome, outputs and final record (synced), then the crate. Returns
  // the exit code: 0, 1, or 130 (cancelled, or an inventory cut short by a signal).
  ExitCode record_outcome(RunOutcome outcome);

  // After record_outcome: the run as the final record has it.
  RunSummary summary() const;

private:
  // The callback of plan_run, on the main thread: the lane's slow parts start while the rest
  // of the run is planned (with the shared libcrypto, its module loads on a thread too).
  void start_lane(const Plugin& plugin);
  // Step 5's parts, in record_outcome.cpp.
  void add_outcome_to_record(RunOutcome& outcome);
  void settle_and_inventory(bool succeeded);
  void write_final_record();
  ExitCode report(const RunOutcome& outcome) const;

  const RunOptions& m_options;
  const LaneFactory& m_lanes;
  const std::string m_bundle_policy;
  const DatasetHashMode m_dataset_hash;
  const uint64_t m_log_limit;
  PhaseClock m_clock;
  std::jthread m_loading_crypto; // started by start_lane, joined before step 1 ends
  std::unique_ptr<Lane> m_lane;  // made by start_lane
  RunPlan m_plan;
  std::optional<ScratchDir> m_scratch;

  // Made by prepare_directories (interrupts before the slot, so a Ctrl-C while the dataset is
  // hashed still gives the parked outputs back).
  std::filesystem::path m_runs_dir;
  std::optional<InterruptScope> m_interrupts;

  // Made by check_up_to_date.
  nlohmann::json m_dataset;
  std::optional<RunKey> m_key;
  bool m_replace_outputs = false; // --force of an up-to-date run: its outputs are parked as --overwrite does
  std::string m_up_to_date_run;   // the run this one is up to date with: nothing runs
  std::optional<OutputSlot> m_slot;
  std::optional<RecordReserve> m_reserve;

  // Made by start_record; the guard keeps a reference to m_record.
  std::filesystem::path m_record_path;
  nlohmann::json m_record;
  std::optional<RecordGuard> m_record_guard;

  // Made by execute.
  std::vector<std::string> m_secrets; // the config's and the environment's, scrubbed everywhere
  std::optional<RunLog> m_log;
  std::optional<RoCrateUpdate> m_crate;
  std::string m_started_at;
  std::chrono::steady_clock::time_point m_started;
  std::jthread m_removing_scratch; // the lane has ended the plugin's processes; joined before m_scratch goes
};

} // namespace mdivicom
