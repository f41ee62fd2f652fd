#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace mdivicom::test {

struct CommandResult
{
  int exit_code = -1; // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

struct CommandOptions
{
  std::map<std::string, std::string> env; // added to (or, with empty value "\x01unset", removed from) the environment
  std::optional<std::filesystem::path> cwd;
  std::string input;                       // written to stdin
  double timeout_s = 120;                  // then SIGKILL; the test fails loudly rather than hangs
  std::optional<double> interrupt_after_s; // send SIGINT to the process after this long
  int interrupt_signal = 2;
  // Asked while the process runs (every 50 ms at most, and whenever it prints) with its pid and
  // what it printed so far: true sends interrupt_signal, once. For a signal at a moment the
  // output or /proc shows, instead of a sleep that is too short on a busy machine.
  std::function<bool(int pid, const CommandResult& so_far)> interrupt_when;
};

inline const char* k_unset = "\x01unset";

// Runs argv[0] (searched in PATH) and captures everything it prints.
CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& options = {});

// Options that keep a run of mdivicom to `dir`: no manifests, caches, dev roots or Python env
// of the machine's, no SOURCE_DATE_EPOCH, no bytecode written.
CommandOptions isolated_options(const TempDir& dir);

// Runs the mdivicom binary under test with the given arguments.
CommandResult run_mdivicom(const std::vector<std::string>& args, const CommandOptions& options = {});

} // namespace mdivicom::test
