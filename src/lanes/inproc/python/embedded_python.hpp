#pragma once

#include <filesystem>
#include <functional>
#include <optional>

#include <nlohmann/json.hpp>

namespace mdivicom::inproc {

struct InterpreterOptions
{
  std::filesystem::path executable; // sys.executable: decides sys.prefix, the venv and site dirs
  bool unbuffered = true;           // stdout/stderr written through, so output shows live
};

// What the worker is to run, asked for once the interpreter's core has started: the
// bootstrap function's params, or nothing to end the worker without running anything.
// Nothing from site-packages (no .pth file, no sitecustomize) and no plugin code has run
// when it is called, so it may still confine the process (the run's sandbox).
using JobSource = std::function<std::optional<nlohmann::json>()>;

// Starts the embedded interpreter without site, imports only frozen and built-in modules,
// asks `next_job` for the params, runs site.main() (site-packages, .pth files, venv), then
// calls `function(params)` of the bootstrap module (bootstrap.cpp) with params as Python
// objects (no JSON parsing, so no json import in the worker), finalizes the interpreter and
// returns the int the function returned; 70 when the interpreter or the bootstrap itself
// failed (the reason is printed on stderr). Starting before the job is known lets the worker
// start its interpreter while mdivicom plans the run. Once per process (worker_main.cpp).
int run_embedded_python(const InterpreterOptions& options, const char* function, const JobSource& next_job);

} // namespace mdivicom::inproc
