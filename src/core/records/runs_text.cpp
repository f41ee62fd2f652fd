#include "core/records/runs_text.hpp"

#include "core/util/format_bytes.hpp"
#include "core/util/text_bytes.hpp"

#include <algorithm>
#include <sstream>
#include <vector>

namespace mdivicom {

using nlohmann::json;

namespace {

// Columns are padded by characters, not bytes: printable() keeps UTF-8 letters as they are.
size_t display_width(const std::string& text)
{
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string outputs_cell(const RunRow& row)
{
  if (!row.file_count) {
    return "-";
  }
  return std::to_string(*row.file_count) + (*row.file_count == 1 ? " file, " : " files, ") +
         format_bytes(row.total_bytes.value_or(0));
}

std::vector<std::string> row_cells(const RunList& runs, const RunRow& row)
{
  std::vector<std::string> cells;
  if (runs.batch) {
    cells.push_back(row.item.empty() ? "." : printable(row.item));
  }
  cells.push_back((row.latest ? "* " : "  ") + printable(row.run_id));
  cells.push_back(row.plugin.empty() ? "-" : printable(row.plugin));
  cells.push_back(row.status.empty() ? "-" : printable(row.status));
  cells.push_back(row.started_at.empty() ? "-" : printable(short_time(row.started_at)));
  cells.push_back(row.duration_s ? format_seconds(*row.duration_s) : "-");
  cells.push_back(row.cpu_s ? format_seconds(*row.cpu_s) : "-");
  cells.push_back(row.peak_memory_bytes ? format_bytes(*row.peak_memory_bytes) : "-");
  cells.push_back(outputs_cell(row));
  return cells;
}

void line(std::ostringstream& out, const char* label, const std::string& value)
{
  if (!value.empty()) {
    out << "  " << label << std::string(13 - std::min<size_t>(12, std::char_traits<char>::length(label)), ' ') << value
        << "\n";
  }
}

// Compact JSON made printable: a config or code summary on one line.
std::string compact(const json& value)
{
  return printable(value.dump(-1, ' ', false, json::error_handler_t::replace));
}

void show_outputs(std::ostringstream& out, const RunRow& row)
{
  const json& outputs = record_object(row.record, "outputs");
  if (outputs.empty()) {
    line(out, "outputs", "none recorded (no inventory: the run was interrupted, killed, or is running)");
    return;
  }
  line(out, "outputs",
       outputs_cell(row) + " in " + printable(record_text(outputs, "root")) + "/, tree sha256 " +
           printable(record_text(outputs, "tree_sha256")));
  if (!record_text(outputs, "inventory_path").empty()) {
    line(out, "inventory",
         printable(record_text(outputs, "inventory_path")) + " (sha256 " +
             printable(record_text(outputs, "inventory_sha256")) + ")");
  }
  auto files = outputs.find("files");
  if (files == outputs.end() || !files->is_array()) {
    return;
  }
  for (const auto& entry : *files) {
    const std::string type = record_text(entry, "type");
    std::string hash = type == "file" ? record_text(entry, "sha256") : "(" + type + ")";
    std::string size =
        entry.contains("size") && entry["size"].is_number_unsigned() ? format_bytes(entry["size"].get<uint64_t>()) : "";
    out << "    " << printable(hash) << "  " << printable(record_text(entry, "path"));
    if (!size.empty()) {
      out << "  (" << size << ")";
    }
    out << "\n";
  }
}

} // namespace

std::string runs_table_text(const RunList& runs)
{
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header;
  if (runs.batch) {
    header.emplace_back("ITEM");
  }
  for (const char* name : {"  RUN", "PLUGIN", "STATUS", "STARTED (UTC)", "DURATION", "CPU", "PEAK MEMORY", "OUTPUTS"}) {
    header.emplace_back(name);
  }
  table.push_back(header);
  for (const auto& row : runs.rows) {
    table.push_back(row_cells(runs, row));
  }
  std::vector<size_t> widths(header.size(), 0);
  for (const auto& cells : table) {
    for (size_t i = 0; i < cells.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(cells[i]));
    }
  }
  std::ostringstream out;
  for (const auto& cells : table) {
    std::string text;
    for (size_t i = 0; i < cells.size(); ++i) {
      text += cells[i];
      if (i + 1 < cells.size()) {
        text += std::string(widths[i] - display_width(cells[i]) + 2, ' ');
      }
    }
    out << text << "\n";
  }
  out << runs.rows.size() << (runs.rows.size() == 1 ? " run" : " runs");
  if (runs.rows.size() != runs.unfiltered) {
    out << " (of " << runs.unfiltered << ")";
  }
  out << "; * the latest run of its output directory (the one whose files are there)\n";
  return out.str();
}

std::string run_show_text(const RunList& runs, const RunRow& row)
{
  std::ostringstream out;
  out << "run " << printable(row.run_id) << "\n";
  line(out, "record", printable((runs.out / row.record_path).string()));
  if (runs.batch) {
    line(out, "item", printable(row.item));
  }
  const json& record = row.record;
  if (!record.is_object()) {
    line(out, "status", "unreadable: " + printable(row.error));
    return out.str();
  }
  const json& plugin = record_object(record, "plugin");
  std::string publisher = record_text(plugin, "publisher");
  line(out, "plugin",
       printable((publisher.empty() ? "" : publisher + "/") + row.plugin) + " " +
           printable(record_text(plugin, "version")) + " (" + printable(record_text(plugin, "kind")) + ", backend " +
           printable(record_text(record, "backend")) + ")");
  std::string status = printable(row.status);
  if (record.contains("exit_code") && record["exit_code"].is_number_integer()) {
    status += ", exit code " + std::to_string(record["exit_code"].get<long long>());
  }
  if (record.contains("signal") && record["signal"].is_number_integer()) {
    status += ", signal " + std::to_string(record["signal"].get<long long>());
  }
  line(out, "status", status + (row.latest ? " (the latest run of its output directory)" : ""));
  line(out, "error", printable(row.error));
  line(out, "started", printable(row.started_at));
  line(out, "finished", printable(row.finished_at));
  line(out, "duration", row.duration_s ? format_seconds(*row.duration_s) : "");
  line(out, "cpu time", row.cpu_s ? format_seconds(*row.cpu_s) : "");
  line(out, "peak memory", row.peak_memory_bytes ? format_bytes(*row.peak_memory_bytes) : "");
  const json& key = record_object(record, "key");
  line(out, "key", printable(record_text(key, "sha256")));
  line(out, "code",
       record_object(record_object(key, "parts"), "code").empty()
           ? ""
           : compact(record_object(record_object(key, "parts"), "code")));
  line(out, "config hash", printable(record_text(record, "config_hash_sha256")));
  line(out, "config", record.contains("config") ? compact(record["config"]) : "");
  const json& dataset = record_object(record, "dataset");
  line(out, "dataset",
       printable(record_text(record, "dataset_dir")) +
           (dataset.empty() ? "" : " (" + printable(record_text(dataset, "mode")) + ")"));
  line(out, "fingerprint", printable(record_text(dataset, "fingerprint_sha256")));
  const json& image = record_object(record_object(record, "container"), "image");
  if (!image.empty()) {
    line(out, "image", printable(record_text(image, "ref")) + " " + printable(record_text(image, "id")));
    for (const auto& digest : image.value("repo_digests", json::array())) {
      line(out, "digest", digest.is_string() ? printable(digest.get<std::string>()) : "");
    }
  }
  line(out, "log", printable(record_text(record, "log_path")));
  show_outputs(out, row);
  return out.str();
}

} // namespace mdivicom
