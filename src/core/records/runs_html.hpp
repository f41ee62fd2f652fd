#pragma once

// `mdivicom report`: the runs under O as one self-contained HTML page (inline CSS and a little
// inline JavaScript; a Content-Security-Policy that allows nothing from the network). Every
// text from a record is escaped for HTML: file names and messages are hostile input.

#include <string>
#include <string_view>

#include "core/records/runs.hpp"

namespace mdivicom {

struct ReportOptions
{
  // Written as O/ro-crate-preview.html: says so and links ro-crate-metadata.json beside it.
  bool crate_preview = false;
  size_t max_files_per_run = 1000; // outputs listed per run; the rest is counted
};

// The page: a summary, the runs table (failures first), a timeline (inline SVG, from started_at
// to finished_at) and each run's provenance (failures first). Its script, once it ran without
// an error, sets data-report-ready="yes" on <html> (what the browser test looks for).
std::string runs_report_html(const RunList& runs, const ReportOptions& options = {});

// One run's provenance section (id "run-<run_id>"): plugin, status and error, key, config as
// recorded (secrets redacted), dataset fingerprint, code or image, outputs with hashes.
std::string run_provenance_html(const RunList& runs, const RunRow& row, const ReportOptions& options);

// Text from a record for an element or attribute: printable() (no control characters or
// bidirectional overrides), then html_escape().
std::string html_text(const std::string& value);

// & < > " ' as character references: text safe in an element or a quoted attribute.
std::string html_escape(std::string_view value);

} // namespace mdivicom
