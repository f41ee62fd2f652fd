#include "core/util/utc_time.hpp"
#include "core/batch/record.hpp"

#include "core/json/bounded.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/host_facts.hpp"
#include "core/util/text_bytes.hpp"

#include <algorithm>

namespace mdivicom {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json item_json(size_t index, const BatchItemState& item)
{
  json out = {{"index", index},        {"item", item.item},           {"dataset", item.dataset},
              {"plugin", item.plugin}, {"plugin_id", item.plugin_id}, {"decision", to_string(item.decision)}};
  if (item.config_hash) {
    out["config_hash_sha256"] = *item.config_hash;
  }
  if (!item.run_id.empty()) {
    out["run_id"] = item.run_id;
    out["run_record"] = item.item + "/_runs/" + item.run_id + ".json";
  }
  if (!item.status.empty()) {
    out["status"] = item.status;
  }
  if (item.exit_code) {
    out["exit_code"] = *item.exit_code;
  }
  if (item.duration_s) {
    out["duration_s"] = *item.duration_s;
  }
  if (!item.reason.empty()) {
    out["reason"] = item.reason;
  }
  if (!item.log.empty()) {
    out["log"] = item.log;
  }
  if (!item.slurm_state.empty()) {
    out["slurm"] = {{"state", item.slurm_state}, {"reason", item.slurm_reason}};
  }
  return out;
}

ItemDecision decision_from(const std::string& text)
{
  for (ItemDecision decision :
       {ItemDecision::ran, ItemDecision::up_to_date, ItemDecision::skipped, ItemDecision::not_started}) {
    if (text == to_string(decision)) {
      return decision;
    }
  }
  return ItemDecision::queued;
}

BatchItemState item_from_json(const json& item)
{
  BatchItemState state;
  state.item = item.value("item", "");
  state.dataset = item.value("dataset", "");
  state.plugin = item.value("plugin", "");
  state.plugin_id = item.value("plugin_id", "");
  if (item.contains("config_hash_sha256")) {
    state.config_hash = item.value("config_hash_sha256", "");
  }
  state.decision = decision_from(item.value("decision", ""));
  state.run_id = item.value("run_id", "");
  state.status = item.value("status", "");
  if (item.contains("exit_code") && item["exit_code"].is_number_integer()) {
    state.exit_code = item["exit_code"].get<int>();
  }
  if (item.contains("duration_s") && item["duration_s"].is_number()) {
    state.duration_s = item["duration_s"].get<double>();
  }
  state.reason = item.value("reason", "");
  state.log = item.value("log", "");
  if (item.contains("slurm") && item["slurm"].is_object()) {
    state.slurm_state = item["slurm"].value("state", "");
    state.slurm_reason = item["slurm"].value("reason", "");
  }
  return state;
}

} // namespace

std::string_view to_string(ItemDecision decision)
{
  switch (decision) {
  case ItemDecision::queued: return "queued";
  case ItemDecision::ran: return "ran";
  case ItemDecision::up_to_date: return "up-to-date";
  case ItemDecision::skipped: return "skipped";
  case ItemDecision::not_started: return "not started";
  }
  return "queued";
}

BatchRecord::BatchRecord(const fs::path& out_dir, json header, std::vector<BatchItemState> items)
  : m_header(std::move(header)), m_items(std::move(items))
{
  const fs::path dir = out_dir / "_batches";
  std::error_code error;
  if (fs::is_symlink(dir, error)) {
    throw usage_error(printable(dir.string()) + " is a symbolic link; mdivicom writes batch records only into a "
                                                "directory of its own there: remove the link");
  }
  fs::create_directories(dir, error);
  if (error) {
    throw Error("cannot create " + printable(dir.string()) + ": " + error.message());
  }
  // Batch ids have the form of run ids: they sort by start time and name no file of O.
  m_id = new_run_id();
  m_path = dir / (m_id + ".json");
  m_header["created_at"] = utc_timestamp_now();
  update();
}

BatchRecord BatchRecord::load(const fs::path& path)
{
  json stored;
  try {
    stored = parse_json_bounded(read_file(path));
  } catch (const std::exception& e) {
    throw Error("cannot read the batch record " + printable(path.string()) + ": " + e.what());
  }
  if (!stored.is_object() || !stored.value("batch_id", json()).is_string() ||
      !stored.value("items", json()).is_array()) {
    throw Error(printable(path.string()) + " is not a batch record (no batch_id or items)");
  }
  BatchRecord record;
  record.m_path = path;
  record.m_id = stored["batch_id"];
  record.m_status = stored.value("status", "running");
  record.m_finished_at = stored.value("finished_at", "");
  for (const json& item : stored["items"]) {
    record.m_items.push_back(item_from_json(item.is_object() ? item : json::object()));
  }
  for (const char* derived : {"record_version", "batch_id", "status", "finished_at", "summary", "items"}) {
    stored.erase(derived);
  }
  record.m_header = std::move(stored);
  return record;
}

json BatchRecord::to_json() const
{
  json record = m_header;
  record["record_version"] = k_batch_record_version;
  record["batch_id"] = m_id;
  record["status"] = m_status;
  if (!m_finished_at.empty()) {
    record["finished_at"] = m_finished_at;
  }
  json items = json::array();
  for (size_t i = 0; i < m_items.size(); ++i) {
    items.push_back(item_json(i, m_items[i]));
  }
  record["summary"] = batch_summary(items);
  record["items"] = std::move(items);
  return record;
}

void BatchRecord::update()
{
  write_file_atomic(m_path, json_file_text(to_json()), Durability::atomic);
}

void BatchRecord::finalize(const std::string& status)
{
  m_status = status;
  m_finished_at = utc_timestamp_now();
  for (BatchItemState& item : m_items) {
    if (item.decision == ItemDecision::queued) {
      item.decision = ItemDecision::not_started;
    }
  }
  write_file_atomic(m_path, json_file_text(to_json()), Durability::synced);
}

json batch_summary(const json& items)
{
  json summary = {{"items", items.size()}};
  for (const json& item : items) {
    std::string key = item.value("decision", "");
    const json slurm = item.value("slurm", json::object());
    if (key == "ran") {
      key = item.value("status", "ran");
    } else if (key == "queued" && slurm.is_object() && slurm.value("state", json()).is_string()) {
      // A detached batch's task as `batch status` last saw it: pending, running, ...
      key = slurm["state"].get<std::string>();
      std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    }
    summary[key] = summary.value(key, 0) + 1;
  }
  return summary;
}

std::vector<json> read_batch_records(const fs::path& out_dir)
{
  std::vector<json> records;
  std::error_code error;
  fs::directory_iterator it(out_dir / "_batches", error);
  if (error) {
    return records;
  }
  std::vector<fs::path> files;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".json") && entry.is_regular_file(error)) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    json record = json::object();
    try {
      record = parse_json_bounded(read_file(file));
      if (!record.is_object()) {
        record = {{"error", "not a JSON object"}};
      }
    } catch (const std::exception& e) {
      record = {{"error", e.what()}};
    }
    record["_path"] = file.string();
    records.push_back(std::move(record));
  }
  return records;
}

} // namespace mdivicom
