#pragma once

#include <cstdint>
#include <vector>

#include "lanes/inproc/child_process.hpp"
#include "lanes/inproc/discovery/python_env.hpp"
#include "lanes/inproc/python_plan.hpp"
#include "lanes/inproc/run_supervisor.hpp"

namespace mdivicom::inproc {

// A run's worker (mdivicom-python-worker), started as soon as the plugin is known. While
// core plans the run it loads libpython and starts the interpreter's core (frozen and built-in
// modules only); then it waits for its job on a socket. With the job it applies the run's
// sandbox, runs site.main() and the plugin. So the interpreter's start overlaps planning, and
// nothing from site-packages or the plugin runs before the sandbox does.
struct RunWorker
{
  ChildProcess child;
  WorkerPipes pipes; // stdout, stderr, report, and the job socket
};

// Starts the worker on `executable` (a PythonEnv's: sys.executable, which decides the venv).
// Throws mdivicom::Error when it or a pipe cannot be made.
RunWorker start_run_worker(const std::filesystem::path& executable);

// The job for the worker (encode_job): the bootstrap's params and the sandbox's rules.
std::vector<std::uint8_t> run_job(const PythonRunPlan& plan, const RunRequest& request);

} // namespace mdivicom::inproc
