#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lanes/inproc/child_process.hpp"
#include "lanes/inproc/discovery/python_env.hpp"

namespace mdivicom::inproc {

// Splits a byte stream into JSON lines; a line that is not JSON is dropped (the report fd is
// ours, but a plugin could still write junk into it).
class JsonLineReader
{
public:
  std::vector<nlohmann::json> feed(const char* data, size_t size);

private:
  std::string m_pending;
};

inline constexpr double k_worker_startup_s = 60;

struct WorkerRun
{
  ChildExit exit;
  bool timed_out = false;
  std::string sandbox_refused; // why the worker refused to run anything unconfined, if it did
};

// Runs a bootstrap function in a Python worker (python_worker.hpp) using the env's interpreter, with stdout
// redirected to stderr (registration code must not print into a listing) and the report pipe
// in params["report_fd"]. Each event goes to on_event; returning true from it restarts the
// timeout (one timeout per step, e.g. per get_plugin()). Starting the interpreter gets
// k_worker_startup_s on top, so a loaded machine is not mistaken for a hanging plugin.
// The worker runs sandboxed as a plugin does, with nothing writable: registration code cannot
// change the user's files. Kills the worker on timeout.
WorkerRun run_reporting_worker(const PythonEnv& env, const char* function, nlohmann::json params, double timeout_s,
                               const std::function<bool(const nlohmann::json&)>& on_event);

} // namespace mdivicom::inproc
