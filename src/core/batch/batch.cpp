#include "core/util/utc_time.hpp"
#include "core/batch/batch.hpp"

#include "core/batch/settle.hpp"
#include "core/batch/slurm_executor.hpp"
#include "core/batch/status.hpp"
#include "core/batch/up_to_date.hpp"
#include "core/config/config.hpp"
#include "core/config/schema.hpp"
#include "core/util/fs.hpp"
#include "core/util/host_facts.hpp"
#include "core/util/interrupt.hpp"
#include "core/util/memory_size.hpp"
#include "core/util/text_bytes.hpp"
#include "core/util/tree_remove.hpp"

#include <cmath>
#include <map>
#include <set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct BatchPlugin
{
  Plugin plugin;
  std::string ref;
  std::string id;
  json schema;
  json resources; // entry.resources: cpus, memory
};

std::vector<BatchPlugin> resolve_plugins(PluginCatalog& catalog, const std::vector<std::string>& refs)
{
  std::vector<BatchPlugin> plugins;
  std::set<std::string> seen;
  for (const std::string& ref : refs) {
    Plugin plugin = catalog.resolve(ref);
    if (plugin.is_error()) {
      throw usage_error("plugin " + printable(ref) + " cannot run: " + plugin.object.value("error", std::string()));
    }
    if (!seen.insert(plugin.ref()).second) {
      throw usage_error("plugin " + printable(ref) + " is named twice in the batch");
    }
    plugins.push_back({plugin, plugin.ref(), plugin.id(), plugin.object.value("config_schema", json()),
                       plugin.entry().value("resources", json::object())});
  }
  return plugins;
}

// Configs given as JSON text (inline --config, per-item configs) are handed to each run as a file
// in a directory only this user can read, removed when the batch ends (every item has ended by
// then): a config may hold secrets, which argv and the Slurm script would show.
class ConfigFiles
{
public:
  // In `shared_dir` (created 0700) when the items run on other machines; else in $TMPDIR.
  explicit ConfigFiles(fs::path shared_dir = {}) : m_shared(!shared_dir.empty()), m_dir(std::move(shared_dir)) {}
  ConfigFiles(const ConfigFiles&) = delete;
  ConfigFiles& operator=(const ConfigFiles&) = delete;
  ~ConfigFiles()
  {
    if (!m_dir.empty()) {
      std::error_code ignored;
      fs::remove_all(m_dir, ignored);
    }
  }

  std::string write(const std::string& name, const std::string& text)
  {
    if (m_shared && !fs::exists(m_dir)) {
      fs::create_directories(m_dir);
      ::chmod(m_dir.c_str(), 0700);
    }
    if (m_dir.empty()) {
      std::string pattern = (fs::temp_directory_path() / "mdivicom-batch-XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr) {
        throw Error("cannot create a private directory for the items' configs in " +
                    printable(fs::temp_directory_path().string()) + ": " + std::strerror(errno));
      }
      m_dir = pattern;
    }
    const fs::path file = m_dir / (name + ".json");
    write_file_atomic(file, text, Durability::atomic);
    ::chmod(file.c_str(), 0600);
    return file.string();
  }

  // A detached batch's tasks read their configs after this process has gone: `batch status`
  // removes them once every task has ended.
  void keep() { m_dir.clear(); }

private:
  bool m_shared;
  fs::path m_dir;
};

// --cpus-per-task, --mem and --time from the plugins' resources and --timeout (the largest of
// each over the batch's plugins), then --slurm-opt KEY=VALUE as --KEY=VALUE, which may override.
std::vector<std::string> sbatch_options(const BatchRequest& request, const std::vector<BatchPlugin>& plugins)
{
  double cpus = 0;
  int64_t memory = 0;
  for (const BatchPlugin& plugin : plugins) {
    if (plugin.resources.contains("cpus") && plugin.resources["cpus"].is_number()) {
      cpus = std::max(cpus, plugin.resources["cpus"].get<double>());
    }
    if (plugin.resources.contains("memory")) {
      memory = std::max(memory, memory_size_bytes(plugin.resources["memory"]).value_or(0));
    }
  }
  std::vector<std::string> options;
  if (cpus > 0) {
    options.push_back("--cpus-per-task=" + std::to_string(static_cast<long>(std::ceil(cpus))));
  }
  if (memory > 0) {
    options.push_back("--mem=" + std::to_string((memory + (int64_t{1} << 20) - 1) >> 20) + "M");
  }
  if (request.timeout_s) {
    options.push_back("--time=" + slurm_time_limit(*request.timeout_s));
  }
  for (const std::string& option : request.slurm_options) {
    const size_t equals = option.find('=');
    if (equals == 0 || option.starts_with("-")) {
      throw usage_error("--slurm-opt " + printable(option) + ": expected KEY=VALUE (e.g. partition=gpu)");
    }
    options.push_back("--" + option);
  }
  return options;
}

// Sets each item's decision from the up-to-date check: up to date (not run, unless --force),
// queued, or skipped when its outputs differ and --overwrite was not given. Returns true when
// an item was skipped so.
bool decide_items(const BatchRequest& request, std::vector<BatchItemState>& items,
                  const std::vector<ItemToCheck>& to_check)
{
  if (!request.lanes) {
    return false;
  }
  const RunOptions& options = request.item_options;
  std::vector<FreshnessCheck> checks = check_items(request.out, items, to_check, options, request.lanes);
  bool refused = false;
  for (size_t index = 0; index < items.size(); ++index) {
    BatchItemState& item = items[index];
    const FreshnessCheck& check = checks[index];
    item.reason = check.explanation();
    switch (check.state) {
    case Freshness::no_outputs: break;
    case Freshness::up_to_date:
      if (!options.force) {
        item.decision = ItemDecision::up_to_date;
        item.run_id = check.run_id;
        item.status = "succeeded";
      }
      break;
    case Freshness::out_of_date:
    case Freshness::unrecorded_outputs:
      if (!options.overwrite) {
        item.decision = ItemDecision::skipped;
        item.reason = "out of date, not run without --overwrite: " + item.reason;
        refused = true;
      }
      break;
    }
  }
  return refused;
}

json batch_header(const BatchRequest& request, const std::vector<BatchPlugin>& plugins, const Config& config,
                  unsigned jobs, const DatasetSelection& selection)
{
  json plugin_list = json::array();
  for (const BatchPlugin& plugin : plugins) {
    plugin_list.push_back({{"ref", plugin.ref}, {"id", plugin.id}});
  }
  json header = {{"command", request.command},
                 {"out_dir", fs::absolute(request.out).lexically_normal().string()},
                 {"plugins", plugin_list},
                 {"config_hash_sha256", config.hash},
                 {"executor", {{"kind", request.executor}, {"jobs", jobs}, {"fail_fast", request.fail_fast}}}};
  if (!selection.missing.empty()) {
    header["missing_datasets"] = selection.missing;
  }
  return header;
}

} // namespace

BatchOutcome run_batch(PluginCatalog& catalog, const BatchRequest& request, BatchObserver& observer)
{
  DatasetSelection selection = select_datasets(request.datasets, request.datasets_root, request.keep_going);
  std::vector<BatchPlugin> plugins = resolve_plugins(catalog, request.plugin_refs);
  const Config config = load_config(request.config);
  std::vector<BatchItemState> items;
  std::vector<std::string> item_configs; // the config text of items that have their own
  std::vector<std::optional<Config>> own_configs(selection.datasets.size());
  std::vector<ItemToCheck> to_check;
  for (size_t dataset_index = 0; dataset_index < selection.datasets.size(); ++dataset_index) {
    const BatchDataset& dataset = selection.datasets[dataset_index];
    std::optional<Config>& own = own_configs[dataset_index];
    if (dataset.config) {
      own = load_config(dataset.config->dump());
    }
    for (const BatchPlugin& plugin : plugins) {
      const Config& used = own ? *own : config;
      to_check.push_back({plugin.plugin, used});
      check_config_against_schema(used, plugin.schema, plugin.ref + " (item " + dataset.item + ")");
      BatchItemState item;
      item.item = dataset.item;
      item.dataset = dataset.path.string();
      item.plugin = plugin.ref;
      item.plugin_id = plugin.id;
      if (own) {
        item.config_hash = own->hash;
      }
      items.push_back(std::move(item));
      item_configs.push_back(own ? own->text : std::string());
    }
  }

  // Up to date? Checked here for all items at once: an up-to-date item costs no run.
  const bool refused_some = decide_items(request, items, to_check);

  std::error_code error;
  fs::create_directories(request.out, error);
  if (error || !fs::is_directory(request.out)) {
    throw usage_error("cannot create the batch's --out " + printable(request.out.string()) + ": " +
                      (error ? error.message() : "not a directory"));
  }
  if (fs::exists(request.out / "_runs", error)) {
    throw usage_error(printable(request.out.string()) +
                      " is the output directory of single runs (it has _runs/); "
                      "a batch writes each item's runs into <out>/<item>/: give a new or batch --out");
  }

  if (request.executor != "local" && request.executor != "slurm") {
    throw usage_error("--executor " + printable(request.executor) + ": expected local or slurm");
  }
  const bool on_slurm = request.executor == "slurm";
  if (request.detach && !on_slurm) {
    throw usage_error("--detach needs --executor slurm: a local batch runs its items in this process");
  }
  const std::vector<std::string> sbatch = on_slurm ? sbatch_options(request, plugins) : std::vector<std::string>{};
  if (on_slurm) {
    require_slurm_commands();
  }
  const unsigned jobs = request.jobs > 0 ? request.jobs : (on_slurm ? 0 : usable_cpus());
  BatchRecord record(request.out, batch_header(request, plugins, config, jobs, selection), std::move(items));
  const std::string prefix = "_batches/" + record.id();
  fs::create_directories(request.out / (prefix + ".logs"));
  // On Slurm the items run on other machines: their configs must be on the shared file system.
  ConfigFiles config_files(on_slurm ? request.out / (prefix + ".configs") : fs::path());
  const std::string shared_config =
      config.source == "inline" ? config_files.write("batch", config.text) : request.config;
  std::map<size_t, std::set<std::string>> records_before;
  auto item_command = [&](size_t index) {
    BatchItemState& item = record.items()[index];
    item.log = prefix + ".logs/" + std::to_string(index) + ".log";
    records_before[index] = record_names(request.out / item.item);
    const std::string config_arg = item_configs[index].empty()
                                       ? shared_config
                                       : config_files.write("item-" + std::to_string(index), item_configs[index]);
    return request.item_argv(item, config_arg);
  };
  bool failed = false;
  bool infrastructure_failed = false; // an item's runner or engine failed (exit 4), not its plugin
  auto item_finished = [&](size_t index, const ItemEnd& end) {
    BatchItemState& item = record.items()[index];
    settle_item(item, request.out, records_before[index], end);
    if (end.exit_code == static_cast<int>(ExitCode::infrastructure)) {
      infrastructure_failed = true;
    } else {
      failed = failed || end.exit_code != 0;
    }
  };
  std::vector<size_t> order;
  for (size_t i = 0; i < record.items().size(); ++i) {
    if (record.items()[i].decision == ItemDecision::queued) {
      order.push_back(i);
    }
  }
  observer.started(record);
  InterruptScope interrupts;
  bool interrupted = false;
  try {
    if (on_slurm) {
      SlurmExecution execution;
      execution.script = request.out / (prefix + ".sbatch");
      execution.job_name = "mdivicom-" + record.id();
      execution.output_dir = request.out / (prefix + ".logs");
      execution.throttle = jobs;
      execution.sbatch_options = sbatch;
      execution.command = [&](size_t index) { return item_command(index); };
      execution.detach = request.detach;
      execution.submitted = [&](const std::string& job_id) {
        record.header()["executor"]["job_id"] = job_id;
        record.header()["executor"]["sbatch_options"] = sbatch;
        if (request.detach) {
          save_detached_state(record.path(), job_id, records_before); // before the record says so
          record.header()["executor"]["detached"] = true;
          config_files.keep();
        }
        record.update();
      };
      execution.started = [&](size_t index) { observer.item_started(record, index); };
      execution.finished = [&](size_t index, const ItemEnd& end, const std::string& state, const std::string& reason) {
        item_finished(index, end);
        settle_slurm_item(record.items()[index], request.out, state, reason);
        // A task Slurm ended (time limit, memory, node failure) counts as failed unless its run
        // said it was the infrastructure (exit 4).
        failed = failed || (state != "COMPLETED" && end.exit_code != static_cast<int>(ExitCode::infrastructure));
        record.update();
        observer.item_finished(record, index);
      };
      execution.tick = [&] { observer.tick(record); };
      interrupted = run_items_on_slurm(order, execution);
    } else {
      LocalExecution execution;
      execution.jobs = jobs;
      execution.command = [&](size_t index) {
        std::vector<std::string> argv = item_command(index);
        return ItemCommand{std::move(argv), request.out / record.items()[index].log};
      };
      execution.started = [&](size_t index) {
        record.update();
        observer.item_started(record, index);
      };
      execution.finished = [&](size_t index, const ItemEnd& end) {
        item_finished(index, end);
        record.update();
        observer.item_finished(record, index);
        return !(request.fail_fast && end.exit_code != 0);
      };
      execution.tick = [&] { observer.tick(record); };
      interrupted = run_items_locally(order, execution);
    }
  } catch (const Error& e) {
    record.header()["error"] = e.what(); // the batch record is final, never left "running"
    record.finalize("failed");
    throw;
  }
  if (request.detach && record.header()["executor"].contains("job_id")) {
    return {record.to_json(), refused_some ? ExitCode::out_of_date : ExitCode::ok, true}; // `batch status` finalizes it
  }
  const bool plugin_failed = failed || !selection.missing.empty();
  const std::string status =
      interrupted ? "cancelled" : (plugin_failed || infrastructure_failed ? "failed" : "succeeded");
  record.finalize(status);
  // The README's rule: 130 interrupted, else 1 if any item failed for itself (a plugin, a usage
  // error, a missing dataset), else 4 if any item's runner or engine failed, else 3 or 0.
  BatchOutcome outcome{record.to_json(), ExitCode::ok};
  outcome.code = interrupted             ? ExitCode::interrupted
                 : plugin_failed         ? ExitCode::failed
                 : infrastructure_failed ? ExitCode::infrastructure
                 : refused_some          ? ExitCode::out_of_date
                                         : ExitCode::ok;
  return outcome;
}

} // namespace mdivicom
