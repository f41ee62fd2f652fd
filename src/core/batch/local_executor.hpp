#pragma once

// Runs a batch's items on this machine, `jobs` at a time, each as its own `mdivicom run`
// process: an item is exactly one run, isolated as any run is.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace mdivicom {

struct ItemCommand
{
  std::vector<std::string> argv; // argv[0] is a path
  std::filesystem::path output;  // receives the process's stdout and stderr
};

struct ItemEnd
{
  int exit_code = 0; // 128 + N when killed by signal N
  double duration_s = 0;
};

struct LocalExecution
{
  unsigned jobs = 1;
  // Called on the calling thread: command(i) just before item i starts; finished(i, end) once it
  // has ended, returning false to start no further item (--fail-fast).
  std::function<ItemCommand(size_t)> command;
  std::function<void(size_t)> started;
  std::function<bool(size_t, const ItemEnd&)> finished;
  // Called about once a second while items run (a progress line), and after each event.
  std::function<void()> tick;
};

// The CPUs this process may run on (its affinity mask), at least 1: the default for -j.
unsigned usable_cpus();

// Runs `items` (indexes, in order) and returns once every started item has ended. Each item runs
// in a process group of its own, so a terminal's Ctrl-C reaches only mdivicom, which forwards
// each signal it catches (SIGINT, SIGTERM, SIGHUP; caught only inside an InterruptScope) once to
// every running item and starts nothing more. Returns true when it was interrupted.
bool run_items_locally(const std::vector<size_t>& items, const LocalExecution& execution);

} // namespace mdivicom
