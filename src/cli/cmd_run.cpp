#include "cli/commands.hpp"

#include "cli/run_arguments.hpp"
#include "core/run/run.hpp"

#include <iostream>

namespace mdivicom::cli {

void add_run_command(CLI::App& app)
{
  auto args = std::make_shared<RunArguments>();
  auto* run = app.add_subcommand(
      "run", "Run a plugin on a dataset; outputs go to <out>/<plugin id>/, the record to <out>/_runs/");
  add_run_options(*run, *args);
  run->callback([args] {
    const RunOptions options = run_options_of(*args);
    RunLanes lanes(options.backend, options.lane_options); // first: it may start a Python worker
    PluginCatalog catalog = make_catalog(args->python_env);
    const LaneFactory lane_for = [&lanes](const std::string& kind) { return lanes.make(kind); };
    if (args->plan_only) {
      std::cout << json_file_text(describe_run(catalog, options, lane_for));
      return;
    }
    set_exit_code(static_cast<int>(run_plugin(catalog, options, lane_for)));
  });
}

} // namespace mdivicom::cli
