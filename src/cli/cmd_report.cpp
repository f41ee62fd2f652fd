// `mdivicom report O`: the runs under O as one self-contained HTML file, and the RO-Crate's
// preview beside O/ro-crate-metadata.json.
#include "cli/commands.hpp"

#include <iostream>

#include <spdlog/spdlog.h>

#include "core/records/runs.hpp"
#include "core/records/runs_html.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"

namespace mdivicom::cli {

namespace {

struct ReportArguments
{
  std::string out;
  std::string file; // -o; default O/report.html
};

void write_report(const ReportArguments& args)
{
  RunList runs = list_runs(args.out);
  const std::filesystem::path file =
      args.file.empty() ? std::filesystem::path(args.out) / "report.html" : std::filesystem::path(args.file);
  // Not synced: a report is made again from the records at any time.
  write_file_atomic(file, runs_report_html(runs), Durability::atomic);
  spdlog::info("wrote {} ({} runs)", printable(file.string()), runs.rows.size());
  const std::filesystem::path crate = std::filesystem::path(args.out) / "ro-crate-metadata.json";
  std::error_code error;
  if (std::filesystem::is_regular_file(std::filesystem::symlink_status(crate, error))) {
    const std::filesystem::path preview = crate.parent_path() / "ro-crate-preview.html";
    ReportOptions options;
    options.crate_preview = true;
    write_file_atomic(preview, runs_report_html(runs, options), Durability::atomic);
    spdlog::info("wrote {}", printable(preview.string()));
  }
}

} // namespace

void add_report_command(CLI::App& app)
{
  auto args = std::make_shared<ReportArguments>();
  auto* command = app.add_subcommand(
      "report", "Write the runs under an --out directory (or a batch's) as one self-contained HTML file, for any "
                "browser, offline: the runs table, a timeline, each run's provenance (plugin, image digest, config "
                "as recorded, dataset fingerprint, key, outputs with hashes), failures first. Also writes "
                "O/ro-crate-preview.html when O/ro-crate-metadata.json exists");
  command->footer("Examples:\n  mdivicom report /tmp/out\n  mdivicom report /tmp/study -o study.html");
  command->add_option("out", args->out, "The --out directory of 'mdivicom run' or 'mdivicom batch'")->required();
  command->add_option("-o,--output", args->file, "Where to write the HTML (default: O/report.html)");
  command->callback([args] { write_report(*args); });
}

} // namespace mdivicom::cli
