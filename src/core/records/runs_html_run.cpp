// One run's provenance in the HTML report (runs_html.hpp).
#include "core/records/runs_html.hpp"

#include "core/util/format_bytes.hpp"
#include "core/util/text_bytes.hpp"

#include <sstream>

namespace mdivicom {

using nlohmann::json;

namespace {

// A definition whose value is already HTML; nothing for an empty value.
void item(std::ostringstream& out, const char* term, const std::string& html)
{
  if (!html.empty()) {
    out << "<dt>" << term << "</dt><dd>" << html << "</dd>\n";
  }
}

std::string code(const std::string& value)
{
  return value.empty() ? "" : "<code>" + html_text(value) + "</code>";
}

// Text with line breaks (a traceback): each line printable, so nothing but the breaks survives.
std::string multiline(const std::string& value)
{
  std::string html;
  size_t begin = 0;
  while (begin <= value.size()) {
    size_t end = value.find('\n', begin);
    html += html_text(value.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) {
      break;
    }
    html += '\n';
    begin = end + 1;
  }
  return html;
}

// JSON as recorded, pretty-printed; json_text escapes control characters, html_escape the rest.
std::string json_block(const json& value)
{
  return "<pre>" + html_escape(json_text(value)) + "</pre>";
}

void write_outputs(std::ostringstream& out, const json& outputs, size_t max_files)
{
  auto files = outputs.find("files");
  if (files == outputs.end() || !files->is_array() || files->empty()) {
    if (!record_text(outputs, "inventory_path").empty()) {
      out << "<p>The file list is in <code>" << html_text(record_text(outputs, "inventory_path"))
          << "</code> (sha256 <code>" << html_text(record_text(outputs, "inventory_sha256")) << "</code>).</p>\n";
    }
    return;
  }
  out << "<table class=\"outputs\"><thead><tr><th>path</th><th>size</th><th>sha256</th></tr></thead><tbody>\n";
  size_t shown = 0;
  for (const auto& entry : *files) {
    if (shown++ == max_files) {
      break;
    }
    const std::string type = record_text(entry, "type");
    std::string size = entry.is_object() && entry.contains("size") && entry["size"].is_number_unsigned()
                           ? format_bytes(entry["size"].get<uint64_t>())
                           : "";
    out << "<tr><td><code>" << html_text(record_text(entry, "path")) << "</code></td><td>" << size << "</td><td>"
        << (type == "file" ? code(record_text(entry, "sha256")) : html_text("(" + type + ")")) << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
  if (files->size() > max_files) {
    out << "<p>... and " << files->size() - max_files << " more entries (the record lists them all).</p>\n";
  }
}

} // namespace

std::string run_provenance_html(const RunList& runs, const RunRow& row, const ReportOptions& options)
{
  std::ostringstream out;
  out << "<section class=\"run" << (row.failed() ? " failed" : "") << "\" id=\"run-" << html_text(row.run_id) << "\">\n"
      << "<h3><code>" << html_text(row.run_id) << "</code> " << html_text(row.plugin) << ": <span class=\"st "
      << (row.failed() ? "st-other" : "st-" + std::string(row.status == "running" ? "running" : "succeeded")) << "\">"
      << html_text(row.status) << "</span></h3>\n<dl>\n";
  if (runs.batch) {
    item(out, "item", html_text(row.item));
  }
  item(out, "record", code(row.record_path));
  const json& record = row.record;
  if (!record.is_object()) {
    item(out, "unreadable", html_text(row.error));
    out << "</dl></section>\n";
    return out.str();
  }
  const json& plugin = record_object(record, "plugin");
  item(out, "plugin",
       html_text(record_text(plugin, "publisher").empty() ? row.plugin
                                                          : record_text(plugin, "publisher") + "/" + row.plugin) +
           " " + html_text(record_text(plugin, "version")) + " (" + html_text(record_text(plugin, "kind")) +
           ", backend " + html_text(record_text(record, "backend")) + ")");
  item(out, "error", html_text(row.error));
  const json& error = record_object(record, "error");
  if (!record_text(error, "traceback").empty()) {
    item(out, "traceback", "<pre>" + multiline(record_text(error, "traceback")) + "</pre>");
  }
  item(out, "started", html_text(row.started_at));
  item(out, "finished", html_text(row.finished_at));
  item(out, "duration", row.duration_s ? format_seconds(*row.duration_s) : "");
  item(out, "CPU time", row.cpu_s ? format_seconds(*row.cpu_s) : "");
  item(out, "peak memory", row.peak_memory_bytes ? format_bytes(*row.peak_memory_bytes) : "");
  const json& key = record_object(record, "key");
  item(out, "key", code(record_text(key, "sha256")));
  const json& code_identity = record_object(record_object(key, "parts"), "code");
  item(out, "code", code_identity.empty() ? "" : json_block(code_identity));
  const json& image = record_object(record_object(record, "container"), "image");
  if (!image.empty()) {
    std::string digests;
    auto list = image.find("repo_digests");
    if (list != image.end() && list->is_array()) {
      for (const auto& digest : *list) {
        digests += digest.is_string() ? code(digest.get<std::string>()) + " " : "";
      }
    }
    item(out, "image", code(record_text(image, "ref")) + " " + code(record_text(image, "id")));
    item(out, "image digests", digests);
  }
  item(out, "config hash", code(record_text(record, "config_hash_sha256")));
  item(out, "config", record.contains("config") ? json_block(record["config"]) : "");
  const json& dataset = record_object(record, "dataset");
  item(out, "dataset", code(record_text(record, "dataset_dir")) + " " + html_text(record_text(dataset, "mode")));
  item(out, "dataset fingerprint", code(record_text(dataset, "fingerprint_sha256")));
  const json& outputs = record_object(record, "outputs");
  if (!outputs.empty()) {
    item(out, "outputs",
         html_text(record_text(outputs, "root")) +
             "/: " + (row.file_count ? std::to_string(*row.file_count) + " entries, " : "") +
             format_bytes(row.total_bytes.value_or(0)) + ", tree sha256 " + code(record_text(outputs, "tree_sha256")));
  }
  out << "</dl>\n";
  write_outputs(out, outputs, options.max_files_per_run);
  out << "</section>\n";
  return out.str();
}

} // namespace mdivicom
