#include "cli/commands.hpp"

#include "cli/run_arguments.hpp"
#include "core/run/run.hpp"
#include "core/util/unique_fd.hpp"

#include <cerrno>
#include <cstring>
#include <iostream>

#include <fcntl.h>
#include <unistd.h>

namespace mdivicom::cli {

namespace {

// For `run --json`, whose stdout is the one JSON object: while it lives, whatever writes to fd 1
// (the plugin's output echoed by the run log, a container's, a library's) goes to stderr.
// Redirected at the fd, not in the run log, so that nothing that inherits or writes fd 1 can
// break the JSON a script parses.
class StdoutToStderr
{
public:
  StdoutToStderr() : m_stdout(::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3))
  {
    std::cout.flush();
    if (!m_stdout || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
      throw Error(std::string("cannot send the plugin's output to stderr for --json: ") + std::strerror(errno));
    }
  }
  ~StdoutToStderr() { (void)::dup2(m_stdout.get(), STDOUT_FILENO); }
  StdoutToStderr(const StdoutToStderr&) = delete;
  StdoutToStderr& operator=(const StdoutToStderr&) = delete;

private:
  UniqueFd m_stdout;
};

nlohmann::json summary_json(const RunSummary& summary)
{
  return {{"run_id", summary.run_id},
          {"status", summary.status},
          {"record", summary.record.string()},
          {"log", summary.log.string()},
          {"outputs", summary.outputs.string()}};
}

} // namespace

void add_run_command(CLI::App& app)
{
  auto args = std::make_shared<RunArguments>();
  auto* run = app.add_subcommand(
      "run", "Run a plugin on a dataset; outputs go to <out>/<plugin id>/, the record to <out>/_runs/");
  add_run_options(*run, *args);
  run->footer("Examples:\n"
              "  mdivicom run stream-inventory --dataset examples/dataset --out /tmp/out\n"
              "  mdivicom run lab/sync-audio --dataset session.tar.gz --out /tmp/out --config '{\"rate\": 48000}'\n"
              "  mdivicom run my-plugin --dataset D --out O --python-env ~/venvs/lab --timeout 600\n"
              "  mdivicom run my-plugin --dataset D --out O --json -q   # for scripts\n"
              "  mdivicom run my-plugin --dataset D --out O --plan      # what would run, nothing runs");
  run->callback([args] {
    RunOptions options = run_options_of(*args);
    options.echo_output = !global_options().quiet;
    RunLanes lanes(options.backend, options.lane_options); // first: it may start a Python worker
    PluginCatalog catalog = make_catalog(args->python_env);
    const LaneFactory lane_for = [&lanes](const std::string& kind) { return lanes.make(kind); };
    if (args->plan_only) {
      std::cout << json_file_text(describe_run(catalog, options, lane_for));
      return;
    }
    if (!args->json) {
      set_exit_code(static_cast<int>(run_plugin(catalog, options, lane_for)));
      return;
    }
    RunSummary summary;
    ExitCode code = ExitCode::ok;
    {
      StdoutToStderr redirect;
      code = run_plugin(catalog, options, lane_for, &summary);
    }
    std::cout << json_text(summary_json(summary)) << "\n";
    set_exit_code(static_cast<int>(code));
  });
}

} // namespace mdivicom::cli
