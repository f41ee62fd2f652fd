#pragma once

// `mdivicom batch`: every dataset × every plugin, each item one ordinary run into O/<item>/,
// planned together (datasets, plugins and configs checked before anything runs) and recorded in
// O/_batches/<batch_id>.json.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/batch/items.hpp"
#include "core/batch/local_executor.hpp"
#include "core/batch/record.hpp"
#include "core/plugins/discovery.hpp"
#include "core/run/run.hpp"
#include "core/util/error.hpp"

namespace mdivicom {

// What the front end shows while a batch runs; called on the batch's thread.
class BatchObserver
{
public:
  virtual ~BatchObserver() = default;
  virtual void started(const BatchRecord& record) = 0;
  virtual void item_started(const BatchRecord& record, size_t item) = 0;
  virtual void item_finished(const BatchRecord& record, size_t item) = 0;
  virtual void tick(const BatchRecord& record) = 0;
};

struct BatchRequest
{
  std::vector<std::string> plugin_refs;
  std::filesystem::path out;
  std::vector<DatasetSource> datasets;
  std::string datasets_root;
  bool keep_going = false; // a missing dataset is skipped (recorded) instead of refusing the batch
  std::string config;      // --config as given: applies to items without a config of their own
  unsigned jobs = 0;       // 0: usable_cpus()
  bool fail_fast = false;
  std::string executor = "local";         // local | slurm
  std::vector<std::string> slurm_options; // --slurm-opt KEY=VALUE, passed to sbatch as --KEY=VALUE
  std::optional<double> timeout_s;        // --timeout, also the Slurm time limit
  bool detach = false;                    // slurm: return once the array is submitted; `batch status` follows it up
  nlohmann::json command = nlohmann::json::array(); // as recorded (no config text)
  // The items' run options as the batch was given them (dry run, dataset hash mode, backend,
  // overwrite, force, lane options), for the up-to-date check made here before any item runs.
  RunOptions item_options;
  LaneFactory lanes;
  // The argv of one item's `mdivicom run`, given the --config argument to pass ("" for none).
  std::function<std::vector<std::string>(const BatchItemState& item, const std::string& config)> item_argv;
};

struct BatchOutcome
{
  nlohmann::json record;
  // ok: every item succeeded or was up to date; failed: an item did not succeed (or a dataset
  // was missing); out_of_date: none failed, but items whose outputs differ were left alone
  // (no --overwrite).
  ExitCode code = ExitCode::ok;
  bool detached = false; // submitted with --detach: the record is "running", its items queued
};

// Throws a usage Error, with every problem named, before anything runs.
BatchOutcome run_batch(PluginCatalog& catalog, const BatchRequest& request, BatchObserver& observer);

} // namespace mdivicom
