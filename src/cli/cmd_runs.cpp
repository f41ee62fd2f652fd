// `mdivicom runs O`: the runs under an --out directory (or a batch's) as a table, as JSON, or
// one of them readably (--show).
#include "cli/commands.hpp"

#include <iostream>

#include "core/records/runs.hpp"
#include "core/records/runs_text.hpp"
#include "core/util/error.hpp"

namespace mdivicom::cli {

namespace {

struct RunsArguments
{
  std::string out;
  RunFilter filter;
  std::string show;
  bool json = false;
};

void show_runs(const RunsArguments& args)
{
  RunList runs = list_runs(args.out, args.filter);
  if (!args.show.empty()) {
    const RunRow* row = find_run(runs, args.show);
    if (row == nullptr) {
      throw usage_error("no run " + printable(args.show) + " under " + printable(args.out) +
                        (runs.rows.size() == runs.unfiltered ? "" : " among the runs the filters keep") +
                        "; 'mdivicom runs " + printable(args.out) + "' lists them");
    }
    if (args.json) {
      std::cout << json_text(row->record) << "\n";
    } else {
      std::cout << run_show_text(runs, *row);
    }
    return;
  }
  if (args.json) {
    std::cout << json_text(runs_to_json(runs)) << "\n";
  } else {
    std::cout << runs_table_text(runs);
  }
}

} // namespace

void add_runs_command(CLI::App& app)
{
  auto args = std::make_shared<RunsArguments>();
  auto* command = app.add_subcommand(
      "runs", "The runs under an --out directory as a table: run id, plugin, status, start, duration, CPU time, peak "
              "memory and outputs, from the run records; for a batch's --out, the runs of every item. --show prints "
              "one run's record readably");
  command->footer("Examples:\n  mdivicom runs /tmp/out\n  mdivicom runs /tmp/study --status failed\n"
                  "  mdivicom runs /tmp/out --plugin summary --json\n"
                  "  mdivicom runs /tmp/out --show 20261125T094107Z_3fa9c2d1");
  command->add_option("out", args->out, "The --out directory of 'mdivicom run' or 'mdivicom batch'")->required();
  command->add_option("--plugin", args->filter.plugin, "Only the runs of this plugin id");
  command->add_option("--status", args->filter.status, "Only the runs with this status")
      ->check(CLI::IsMember({"running", "succeeded", "failed", "crashed", "timeout", "cancelled"}));
  command->add_option("--show", args->show,
                      "Print this run (a run id) readably: plugin, status, key, config, "
                      "dataset fingerprint, image, outputs with hashes");
  command->add_flag("--json", args->json, "Print the table (or with --show, the record) as JSON");
  command->callback([args] { show_runs(*args); });
}

} // namespace mdivicom::cli
