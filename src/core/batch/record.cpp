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
    if (key == "ran") {
      key = item.value("status", "ran");
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
