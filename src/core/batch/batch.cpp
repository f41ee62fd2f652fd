#include "core/batch/batch.hpp"

#include "core/config/config.hpp"
#include "core/records/scan.hpp"
#include "core/util/fs.hpp"
#include "core/util/interrupt.hpp"
#include "core/util/text_bytes.hpp"
#include "core/util/tree_remove.hpp"

#include <fstream>
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
  std::string ref;
  std::string id;
  json schema;
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
    plugins.push_back({plugin.ref(), plugin.id(), plugin.object.value("config_schema", json())});
  }
  return plugins;
}

// Per-item configs are handed to each run as a file in a directory only this user can read,
// removed with the batch: a config may hold secrets, which argv would show to every user.
class ConfigFiles
{
public:
  ConfigFiles() = default;
  ConfigFiles(const ConfigFiles&) = delete;
  ConfigFiles& operator=(const ConfigFiles&) = delete;
  ~ConfigFiles()
  {
    if (!m_dir.empty()) {
      std::error_code ignored;
      fs::remove_all(m_dir, ignored);
    }
  }

  std::string write(size_t index, const std::string& text)
  {
    if (m_dir.empty()) {
      std::string pattern = (fs::temp_directory_path() / "mdivicom-batch-XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr) {
        throw Error("cannot create a private directory for the items' configs in " +
                    printable(fs::temp_directory_path().string()) + ": " + std::strerror(errno));
      }
      m_dir = pattern;
    }
    const fs::path file = m_dir / ("item-" + std::to_string(index) + ".json");
    write_file_atomic(file, text, Durability::atomic);
    ::chmod(file.c_str(), 0600);
    return file.string();
  }

private:
  fs::path m_dir;
};

std::set<std::string> record_names(const fs::path& item_out)
{
  std::set<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(item_out / "_runs", error), end; !error && it != end; it.increment(error)) {
    names.insert(it->path().filename().string());
  }
  return names;
}

// The last non-empty line of what the item's runner printed: why it refused or failed.
std::string last_line(const fs::path& file)
{
  std::ifstream in(file);
  std::string line;
  std::string last;
  while (std::getline(in, line)) {
    if (!line.empty()) {
      last = line;
    }
  }
  return printable(last.substr(0, 500));
}

void settle_item(BatchItemState& item, const fs::path& out, const std::set<std::string>& before, const ItemEnd& end)
{
  item.exit_code = end.exit_code;
  item.duration_s = end.duration_s;
  for (const RecordFile& record : scan_run_records(out / item.item)) {
    if (before.contains(record.run_id + ".json") || !record.record.is_object()) {
      continue;
    }
    const json& plugin = record.record.value("plugin", json::object());
    if (plugin.is_object() && plugin.value("id", std::string()) == item.plugin_id) {
      item.run_id = record.run_id;
      item.status = record.record.value("status", std::string());
    }
  }
  if (!item.run_id.empty()) {
    item.decision = ItemDecision::ran;
    if (end.exit_code != 0) {
      item.reason = last_line(out / item.log);
    }
    return;
  }
  item.decision =
      end.exit_code == static_cast<int>(ExitCode::interrupted) ? ItemDecision::not_started : ItemDecision::skipped;
  item.reason = last_line(out / item.log);
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
                 {"executor", {{"kind", "local"}, {"jobs", jobs}, {"fail_fast", request.fail_fast}}}};
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
  for (const BatchDataset& dataset : selection.datasets) {
    std::optional<Config> own;
    if (dataset.config) {
      own = load_config(dataset.config->dump());
    }
    for (const BatchPlugin& plugin : plugins) {
      const Config& used = own ? *own : config;
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

  const unsigned jobs = request.jobs > 0 ? request.jobs : usable_cpus();
  BatchRecord record(request.out, batch_header(request, plugins, config, jobs, selection), std::move(items));
  const fs::path logs = request.out / "_batches" / (record.id() + ".logs");
  fs::create_directories(logs);
  ConfigFiles config_files;
  std::map<size_t, std::set<std::string>> records_before;
  observer.started(record);

  LocalExecution execution;
  execution.jobs = jobs;
  execution.command = [&](size_t index) {
    BatchItemState& item = record.items()[index];
    item.log = "_batches/" + record.id() + ".logs/" + std::to_string(index) + ".log";
    records_before[index] = record_names(request.out / item.item);
    std::string config_arg =
        item_configs[index].empty() ? request.config : config_files.write(index, item_configs[index]);
    return ItemCommand{request.item_argv(item, config_arg), request.out / item.log};
  };
  execution.started = [&](size_t index) {
    record.update();
    observer.item_started(record, index);
  };
  bool failed = false;
  execution.finished = [&](size_t index, const ItemEnd& end) {
    BatchItemState& item = record.items()[index];
    settle_item(item, request.out, records_before[index], end);
    failed = failed || end.exit_code != 0;
    record.update();
    observer.item_finished(record, index);
    return !(request.fail_fast && end.exit_code != 0);
  };
  execution.tick = [&] { observer.tick(record); };

  std::vector<size_t> order(record.items().size());
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  InterruptScope interrupts;
  const bool interrupted = run_items_locally(order, execution);
  const std::string status =
      interrupted ? "cancelled" : (failed || !selection.missing.empty() ? "failed" : "succeeded");
  record.finalize(status);
  BatchOutcome outcome{record.to_json(), ExitCode::ok};
  outcome.code = interrupted ? ExitCode::interrupted : (status == "failed" ? ExitCode::failed : ExitCode::ok);
  return outcome;
}

} // namespace mdivicom
