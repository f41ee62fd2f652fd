#include "core/records/runs_html.hpp"

#include "core/util/format_bytes.hpp"
#include "core/util/text_bytes.hpp"
#include "core/util/utc_time.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>
#include <vector>

namespace mdivicom {

using nlohmann::json;

namespace {

// Small on purpose: the page must open anywhere, offline, years later.
constexpr const char* k_style = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse}th,td{padding:.2em .6em;text-align:left;border-bottom:1px solid #ddd;vertical-align:top}
th{cursor:pointer;background:#f4f4f4}td.num{text-align:right}code,pre{font:12px ui-monospace,monospace}
pre{background:#f7f7f7;padding:.5em;overflow:auto;max-height:20em}
.st{font-weight:600}.st-succeeded{color:#1a7f37}.st-running{color:#9a6700}.st-other{color:#cf222e}
rect.st-succeeded{fill:#2da44e}rect.st-running{fill:#d4a72c}rect.st-other{fill:#cf222e}
section.run{border:1px solid #ddd;border-radius:4px;padding:.4em 1em;margin:.8em 0}
section.run.failed{border-color:#cf222e}dl{display:grid;grid-template-columns:12em 1fr;gap:.1em 1em}
dt{color:#555}dd{margin:0;word-break:break-all}
)";

// Sorts the runs table by a clicked column; marks the page ready once it ran.
constexpr const char* k_script = R"(
(function(){
var table=document.getElementById('runs');
var heads=table.tHead.rows[0].cells;
for(var i=0;i<heads.length;i++){(function(col){heads[col].addEventListener('click',function(){
var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
var up=heads[col].getAttribute('data-up')!=='1';heads[col].setAttribute('data-up',up?'1':'0');
rows.sort(function(a,b){var x=a.cells[col].getAttribute('data-sort')||a.cells[col].textContent,
y=b.cells[col].getAttribute('data-sort')||b.cells[col].textContent;
var nx=parseFloat(x),ny=parseFloat(y);var c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);return up?c:-c;});
rows.forEach(function(r){body.appendChild(r);});});})(i);}
document.documentElement.setAttribute('data-report-ready','yes');
})();
)";

std::string status_class(const std::string& status)
{
  return status == "succeeded" || status == "running" ? "st-" + status : "st-other";
}

std::string optional_cell(const std::optional<double>& value, const std::string& shown)
{
  if (!value) {
    return "<td class=\"num\" data-sort=\"-1\">-</td>";
  }
  char sort[32];
  std::snprintf(sort, sizeof sort, "%.6f", *value);
  return std::string("<td class=\"num\" data-sort=\"") + sort + "\">" + shown + "</td>";
}

// Failures first, then in start order: what a reader looks for first.
std::vector<const RunRow*> failures_first(const RunList& runs)
{
  std::vector<const RunRow*> rows;
  for (const auto& row : runs.rows) {
    rows.push_back(&row);
  }
  std::stable_partition(rows.begin(), rows.end(), [](const RunRow* row) { return row->failed(); });
  return rows;
}

void write_table(std::ostringstream& out, const RunList& runs, const std::vector<const RunRow*>& rows)
{
  out << "<table id=\"runs\"><thead><tr>";
  if (runs.batch) {
    out << "<th>item</th>";
  }
  out << "<th>run</th><th>plugin</th><th>status</th><th>started (UTC)</th><th>duration</th><th>CPU</th>"
         "<th>peak memory</th><th>files</th><th>bytes</th><th>latest</th></tr></thead><tbody>\n";
  for (const RunRow* row : rows) {
    out << "<tr data-run-id=\"" << html_text(row->run_id) << "\" data-status=\"" << html_text(row->status) << "\">";
    if (runs.batch) {
      out << "<td>" << html_text(row->item) << "</td>";
    }
    out << "<td><a href=\"#run-" << html_text(row->run_id) << "\"><code>" << html_text(row->run_id)
        << "</code></a></td>"
        << "<td>" << html_text(row->plugin) << "</td><td class=\"st " << status_class(row->status) << "\">"
        << html_text(row->status) << "</td><td>" << html_text(short_time(row->started_at)) << "</td>"
        << optional_cell(row->duration_s, row->duration_s ? format_seconds(*row->duration_s) : "")
        << optional_cell(row->cpu_s, row->cpu_s ? format_seconds(*row->cpu_s) : "")
        << optional_cell(row->peak_memory_bytes ? std::optional<double>(*row->peak_memory_bytes) : std::nullopt,
                         row->peak_memory_bytes ? format_bytes(*row->peak_memory_bytes) : "")
        << optional_cell(row->file_count ? std::optional<double>(*row->file_count) : std::nullopt,
                         row->file_count ? std::to_string(*row->file_count) : "")
        << optional_cell(row->total_bytes ? std::optional<double>(*row->total_bytes) : std::nullopt,
                         row->total_bytes ? format_bytes(*row->total_bytes) : "")
        << "<td>" << (row->latest ? "yes" : "") << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
}

// One bar per run from its start to its end, in start order; a run still running (or without
// an end) is drawn to the end of the latest run.
void write_timeline(std::ostringstream& out, const RunList& runs)
{
  std::optional<int64_t> first;
  std::optional<int64_t> last;
  for (const auto& row : runs.rows) {
    auto start = timestamp_micros(row.started_at);
    auto end = timestamp_micros(row.finished_at);
    for (const auto& time : {start, end}) {
      if (time) {
        first = first ? std::min(*first, *time) : *time;
        last = last ? std::max(*last, *time) : *time;
      }
    }
  }
  if (!first) {
    out << "<p>No run has a start time.</p>\n";
    return;
  }
  const double span = std::max<double>(1, static_cast<double>(*last - *first));
  constexpr int k_label = 300;
  constexpr int k_width = 1000;
  constexpr int k_row = 18;
  out << "<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << k_width << "\" height=\""
      << k_row * runs.rows.size() + 24 << "\" role=\"img\">\n";
  int y = 0;
  for (const auto& row : runs.rows) {
    auto start = timestamp_micros(row.started_at);
    if (!start) {
      continue;
    }
    const int64_t end = timestamp_micros(row.finished_at).value_or(*last);
    const double x = k_label + (k_width - k_label - 10) * static_cast<double>(*start - *first) / span;
    const double w = std::max(2.0, (k_width - k_label - 10) * static_cast<double>(end - *start) / span);
    const std::string label = (row.item.empty() ? "" : row.item + " ") + row.plugin + " " + row.run_id;
    out << "<text x=\"0\" y=\"" << y + 13 << "\" font-size=\"12\">" << html_text(label) << "</text>";
    char bar[160];
    std::snprintf(bar, sizeof bar, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" class=\"", x, y + 2, w,
                  k_row - 4);
    out << bar << status_class(row.status) << "\"><title>" << html_text(row.run_id + " " + row.status) << " "
        << (row.duration_s ? format_seconds(*row.duration_s) : "") << "</title></rect>\n";
    y += k_row;
  }
  out << "<text x=\"" << k_label << "\" y=\"" << y + 16 << "\" font-size=\"11\">"
      << html_text(short_time(format_utc(*first, UtcFormat::seconds))) << "</text><text x=\"" << k_width - 10
      << "\" y=\"" << y + 16 << "\" font-size=\"11\" text-anchor=\"end\">"
      << html_text(short_time(format_utc(*last, UtcFormat::seconds))) << " (" << format_seconds(span / 1e6)
      << ")</text></svg>\n";
}

} // namespace

std::string html_text(const std::string& value)
{
  return html_escape(printable(value));
}

std::string html_escape(std::string_view value)
{
  std::string escaped;
  escaped.reserve(value.size());
  for (char c : value) {
    switch (c) {
    case '&': escaped += "&amp;"; break;
    case '<': escaped += "&lt;"; break;
    case '>': escaped += "&gt;"; break;
    case '"': escaped += "&quot;"; break;
    case '\'': escaped += "&#39;"; break;
    default: escaped += c;
    }
  }
  return escaped;
}

std::string runs_report_html(const RunList& runs, const ReportOptions& options)
{
  std::ostringstream out;
  const std::string title = "mdivicom runs in " + runs.out.string();
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
         "script-src 'unsafe-inline'; img-src data:\">\n"
      << "<title>" << html_text(title) << "</title><style>" << k_style << "</style></head><body>\n"
      << "<h1>" << html_text(title) << "</h1>\n";
  if (options.crate_preview) {
    out << "<p>The preview of this directory's RO-Crate: <a href=\"ro-crate-metadata.json\">"
           "ro-crate-metadata.json</a> describes the same runs.</p>\n";
  }
  std::map<std::string, size_t> by_status;
  for (const auto& row : runs.rows) {
    ++by_status[row.status];
  }
  out << "<p id=\"summary\">" << runs.rows.size() << (runs.rows.size() == 1 ? " run" : " runs");
  for (const auto& [status, count] : by_status) {
    out << ", " << count << " <span class=\"st " << status_class(status) << "\">" << html_text(status) << "</span>";
  }
  out << ".</p>\n<h2>Runs</h2>\n";
  const std::vector<const RunRow*> rows = failures_first(runs);
  write_table(out, runs, rows);
  out << "<h2>Timeline</h2>\n";
  write_timeline(out, runs);
  out << "<h2>Provenance</h2>\n";
  for (const RunRow* row : rows) {
    out << run_provenance_html(runs, *row, options);
  }
  out << "<script>" << k_script << "</script>\n</body></html>\n";
  return out.str();
}

} // namespace mdivicom
