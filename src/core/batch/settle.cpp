#include "core/batch/settle.hpp"

#include "core/records/scan.hpp"
#include "core/run/outcome_error.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/text_bytes.hpp"
#include "core/util/utc_time.hpp"

#include <fstream>

#include <nlohmann/json.hpp>

namespace mdivicom {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

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

} // namespace

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
void settle_item(BatchItemState& item, const fs::path& out, const std::set<std::string>& before, const ItemEnd& end)
{
  item.exit_code = end.exit_code;
  if (end.duration_s > 0) {
    item.duration_s = end.duration_s;
  }
  for (const RecordFile& record : scan_run_records(out / item.item)) {
    if (before.contains(record.run_id + ".json") || !record.record.is_object()) {
      continue;
    }
    const json& plugin = record.record.value("plugin", json::object());
    if (plugin.is_object() && plugin.value("id", std::string()) == item.plugin_id) {
      item.run_id = record.run_id;
      item.status = record.record.value("status", std::string());
      if (const auto duration = record.record.find("duration_s");
          duration != record.record.end() && duration->is_number()) {
        item.duration_s = duration->get<double>();
      }
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

void settle_slurm_item(BatchItemState& item, const fs::path& out, const std::string& state, const std::string& reason)
{
  item.slurm_state = state;
  item.slurm_reason = reason;
  if (item.run_id.empty() || item.status != "running") {
    if (item.run_id.empty() && state != "COMPLETED" && state != "UNKNOWN") {
      item.decision = ItemDecision::skipped;
      item.reason = "Slurm ended the task before its run started: " + state + " (" + reason + ")";
    }
    return;
  }
  const fs::path path = out / item.item / "_runs" / (item.run_id + ".json");
  json record = json::parse(read_file(path), nullptr, false);
  if (!record.is_object() || record.value("status", "") != "running") {
    return;
  }
  const std::string status = state == "TIMEOUT" ? "timeout" : (state == "CANCELLED" ? "cancelled" : "failed");
  record["status"] = status;
  record["finished_at"] = utc_timestamp_now();
  record["error"] =
      run_error(RunError::slurm_ended,
                "Slurm ended the task before the run could finalize its record: " + state + " (" + reason + ")");
  write_file_atomic(path, json_file_text(record), Durability::synced);
  item.status = status;
}

} // namespace mdivicom
