#include "core/records/runs.hpp"

#include "core/records/scan.hpp"
#include "core/util/error.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>

namespace mdivicom {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Item names may be paths (`batch --root`: sub-01/ses-01), so items are the directories below
// O that hold a _runs/; the walk stops there (the rest is a run's outputs) and at these bounds.
constexpr int k_item_depth = 8;
constexpr size_t k_item_dirs = 100'000;

bool is_real_dir(const fs::path& path)
{
  std::error_code error;
  return fs::symlink_status(path, error).type() == fs::file_type::directory;
}

void find_items(const fs::path& dir, const std::string& prefix, int depth, std::vector<std::string>& items,
                size_t& visited)
{
  std::error_code error;
  fs::directory_iterator it(dir, error);
  for (; !error && it != fs::directory_iterator() && visited < k_item_dirs; it.increment(error)) {
    const std::string name = it->path().filename().string();
    // mdivicom's own names (_runs, _batches) and hidden ones are never items (core/batch/items).
    if (name.empty() || name[0] == '_' || name[0] == '.' || !is_real_dir(it->path())) {
      continue;
    }
    ++visited;
    const std::string item = prefix.empty() ? name : prefix + "/" + name;
    if (is_real_dir(it->path() / "_runs")) {
      items.push_back(item);
    } else if (depth + 1 < k_item_depth) {
      find_items(it->path(), item, depth + 1, items, visited);
    }
  }
}

std::optional<double> number(const json& object, const char* key)
{
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) {
    return std::nullopt;
  }
  double value = it->get<double>();
  return std::isfinite(value) && value >= 0 ? std::optional<double>(value) : std::nullopt;
}

std::optional<uint64_t> count(const json& object, const char* key)
{
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_unsigned()) {
    return std::nullopt;
  }
  return it->get<uint64_t>();
}

RunRow make_row(const std::string& item, RecordFile file)
{
  RunRow row;
  row.item = item;
  row.run_id = file.run_id;
  row.record_path = item.empty() ? file.name : item + "/" + file.name;
  if (!file.error.empty()) {
    row.status = "unreadable";
    row.error = file.error;
    row.order.run_id = file.run_id;
    return row;
  }
  const json& record = file.record;
  row.plugin = record_text(record_object(record, "plugin"), "id");
  row.status = record_text(record, "status");
  row.started_at = record_started_at(record);
  row.finished_at = record_text(record, "finished_at");
  row.duration_s = number(record, "duration_s");
  const json& resources = record_object(record, "resources");
  row.cpu_s = number(resources, "cpu_s");
  row.peak_memory_bytes = count(resources, "peak_memory_bytes");
  const json& outputs = record_object(record, "outputs");
  row.file_count = count(outputs, "file_count");
  row.total_bytes = count(outputs, "total_bytes");
  const json& error = record_object(record, "error");
  if (!error.empty()) {
    row.error = record_text(error, "type") + ": " + record_text(error, "message");
  }
  row.order = record_run_order(file.run_id, record);
  row.record = std::move(file.record);
  return row;
}

// Marks the latest run of each output directory, by the rule verify and the RO-Crate follow.
void mark_latest(std::vector<RunRow>& rows)
{
  LatestRuns latest;
  std::vector<std::string> roots(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].record.is_object()) {
      continue;
    }
    if (auto root = record_outputs_root(rows[i].record)) {
      roots[i] = rows[i].item + "\n" + *root; // '\n' cannot be in an item name: no two items collide
      latest.offer(roots[i], i, rows[i].order);
    }
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].latest = !roots[i].empty() && latest.is_latest(roots[i], i);
  }
}

} // namespace

bool RunRow::failed() const
{
  return status != "succeeded" && status != "running";
}

std::string record_text(const json& object, const char* key)
{
  if (!object.is_object()) {
    return "";
  }
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

const json& record_object(const json& object, const char* key)
{
  static const json k_empty = json::object();
  if (!object.is_object()) {
    return k_empty;
  }
  auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : k_empty;
}

RunList list_runs(const fs::path& out, const RunFilter& filter)
{
  RunList runs;
  runs.out = out;
  runs.batch = is_real_dir(out / "_batches");
  if (!runs.batch && !is_real_dir(out / "_runs")) {
    throw usage_error(out.string() + " holds no runs (neither _runs/ nor _batches/): give the --out directory of "
                                     "'mdivicom run' or 'mdivicom batch'");
  }
  std::vector<std::string> items = {""};
  if (runs.batch) {
    size_t visited = 0;
    find_items(out, "", 0, items, visited);
  }
  std::vector<RunRow> rows;
  for (const auto& item : items) {
    for (auto& file : scan_run_records(item.empty() ? out : out / item)) {
      rows.push_back(make_row(item, std::move(file)));
    }
  }
  mark_latest(rows);
  std::stable_sort(rows.begin(), rows.end(), [](const RunRow& a, const RunRow& b) {
    return std::tie(a.order.started_us, a.order.run_id, a.item) < std::tie(b.order.started_us, b.order.run_id, b.item);
  });
  runs.unfiltered = rows.size();
  for (auto& row : rows) {
    if ((filter.plugin.empty() || row.plugin == filter.plugin) &&
        (filter.status.empty() || row.status == filter.status)) {
      runs.rows.push_back(std::move(row));
    }
  }
  return runs;
}

const RunRow* find_run(const RunList& runs, const std::string& run_id)
{
  for (const auto& row : runs.rows) {
    if (row.run_id == run_id) {
      return &row;
    }
  }
  return nullptr;
}

json runs_to_json(const RunList& runs)
{
  json rows = json::array();
  auto optional = [](const auto& value) { return value ? json(*value) : json(); };
  for (const auto& row : runs.rows) {
    json entry = {{"run_id", row.run_id},
                  {"record", row.record_path},
                  {"plugin", row.plugin},
                  {"status", row.status},
                  {"started_at", row.started_at},
                  {"finished_at", row.finished_at},
                  {"duration_s", optional(row.duration_s)},
                  {"cpu_s", optional(row.cpu_s)},
                  {"peak_memory_bytes", optional(row.peak_memory_bytes)},
                  {"file_count", optional(row.file_count)},
                  {"total_bytes", optional(row.total_bytes)},
                  {"latest", row.latest}};
    if (runs.batch) {
      entry["item"] = row.item;
    }
    if (!row.error.empty()) {
      entry["error"] = row.error;
    }
    rows.push_back(std::move(entry));
  }
  return {{"out", runs.out.string()}, {"batch", runs.batch}, {"runs", std::move(rows)}};
}

std::string format_seconds(double seconds)
{
  char buffer[48];
  if (seconds < 10) {
    std::snprintf(buffer, sizeof buffer, "%.2f s", seconds);
  } else if (seconds < 60) {
    std::snprintf(buffer, sizeof buffer, "%.1f s", seconds);
  } else if (seconds < 3600) {
    const long whole = std::lround(seconds);
    std::snprintf(buffer, sizeof buffer, "%ld min %02ld s", whole / 60, whole % 60);
  } else {
    const long minutes = std::lround(seconds / 60);
    std::snprintf(buffer, sizeof buffer, "%ld h %02ld min", minutes / 60, minutes % 60);
  }
  return buffer;
}

std::string short_time(const std::string& timestamp)
{
  // "2026-11-25T09:41:07.123456Z" -> "2026-11-25 09:41:07"; an offset other than Z is kept.
  if (timestamp.size() < 19 || timestamp[10] != 'T' || !timestamp_micros(timestamp)) {
    return timestamp;
  }
  std::string text = timestamp.substr(0, 10) + " " + timestamp.substr(11, 8);
  const size_t zone = timestamp.find_first_of("Z+-", 19);
  if (zone != std::string::npos && timestamp[zone] != 'Z') {
    text += timestamp.substr(zone);
  }
  return text;
}

} // namespace mdivicom
