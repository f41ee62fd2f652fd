#pragma once

#include <CLI/CLI.hpp>

#include "core/plugins/discovery.hpp"
#include "core/run/lane.hpp"
#include "core/run/run.hpp"
#include "core/util/text_bytes.hpp" // json_text, for what commands print

namespace mdivicom::cli {

// Each command group adds its subcommands to the app. A callback reports failure by throwing
// mdivicom::Error, or asks for a non-zero exit without a message through set_exit_code().
void add_plugins_commands(CLI::App& app);
void add_run_command(CLI::App& app);
void add_batch_command(CLI::App& app);
void add_resultbundles_commands(CLI::App& app);
void add_doctor_command(CLI::App& app);
void add_gc_command(CLI::App& app);
void add_verify_command(CLI::App& app);
void add_pack_command(CLI::App& app);
void add_runs_command(CLI::App& app);
void add_report_command(CLI::App& app);

struct CommandGroup
{
  const char* name;
  void (*add)(CLI::App& app);
};

// The table of command groups, in --help order.
inline constexpr CommandGroup k_command_groups[] = {
    {"plugins", add_plugins_commands}, {"run", add_run_command},
    {"batch", add_batch_command},      {"resultbundles", add_resultbundles_commands},
    {"runs", add_runs_command},        {"report", add_report_command},
    {"verify", add_verify_command},    {"pack", add_pack_command},
    {"doctor", add_doctor_command},    {"gc", add_gc_command},
};

// The options of mdivicom itself (--version, -v, -q), before the command or after it: for the
// app and for the early parse, which must skip them alike.
struct GlobalOptions
{
  bool verbose = false;
  bool quiet = false; // -q: spdlog at warn; `run` shows no plugin output either
};
void add_global_options(CLI::App& app, GlobalOptions& options);

// The global options as parsed; read by the commands' callbacks (run's -q).
const GlobalOptions& global_options();

void set_exit_code(int code);
int requested_exit_code();

// Every plugin source: entry manifests first, then installed Python entry points and
// MDIVICOM_DEV_PLUGIN_ROOTS (the in-process lane's sources). An empty python_env means
// $MDIVICOM_PYTHON_ENV, then $VIRTUAL_ENV, then the system Python.
PluginCatalog make_catalog(const std::string& python_env = "");

// The lane that runs plugins of a kind ("python", "container"); null for an unknown kind.
std::unique_ptr<Lane> make_lane(const std::string& kind);

// The lanes of one `mdivicom run`. Unless --backend names a container engine, the Python lane
// is warmed up at once: its worker starts the interpreter while the catalog finds the plugin,
// which otherwise comes first and delays every Python run. Asked for another kind, the warm
// lane is dropped at once (its worker is stopped), so a container run does not keep it.
class RunLanes
{
public:
  // Takes the lane of an EarlyPythonWorker when there is one: warm_up() keeps its worker when
  // the parsed options pick the same interpreter and replaces it otherwise.
  RunLanes(const std::string& backend, const nlohmann::json& lane_options);
  // Throws a usage error for engine settings the container lane cannot use (tcp://, ssh://),
  // before the run creates anything.
  std::unique_ptr<Lane> make(const std::string& kind);

  // Whether a run with this --backend warms up the Python lane (auto or python).
  static bool warms_python(const std::string& backend);

private:
  std::string m_backend;
  std::string m_engine; // --engine
  std::unique_ptr<Lane> m_warm_python;
};

// Earlier still: for a `run` that warms up the Python lane (early_parse: no --help, a --backend
// of auto or python), run_app warms it up with the lane options of the early parse before CLI11
// builds and parses the whole command line, ~1 ms sooner on the path of every Python run. The
// lane waits here for RunLanes; when the command turns out not to use it (a parse error), it
// is dropped with this object.
class EarlyPythonWorker
{
public:
  explicit EarlyPythonWorker(const std::optional<RunOptions>& run);
  ~EarlyPythonWorker();
  EarlyPythonWorker(const EarlyPythonWorker&) = delete;
  EarlyPythonWorker& operator=(const EarlyPythonWorker&) = delete;
};

} // namespace mdivicom::cli
