#pragma once

// Other programs started by mdivicom itself (never a plugin: lanes start those): the items of a
// batch, and the short commands of a scheduler (sbatch, squeue, scancel).

#include <string>
#include <vector>

#include <sys/types.h>

namespace mdivicom {

struct SpawnOptions
{
  std::string output_file;        // stdout and stderr go there (truncated); empty: see the fds
  int stdout_fd = -1;             // with no output_file: dup'ed to 1 (-1: inherited)
  int stderr_fd = -1;             // with no output_file: dup'ed to 2 (-1: inherited)
  bool own_process_group = false; // a terminal's Ctrl-C then reaches only mdivicom
  bool search_path = false;       // argv[0] looked up in PATH
};

// Starts argv with posix_spawn (stdin /dev/null, every signal at its default and unblocked).
// Throws Error naming the program when it cannot be started.
pid_t spawn_process(const std::vector<std::string>& argv, const SpawnOptions& options);

// The exit code from a wait status: 128 + N when killed by signal N.
int exit_code_of_wait_status(int wait_status);

struct CommandOutput
{
  int exit_code = -1; // 128 + N when killed by signal N; 127 when it could not be started
  std::string out;
  std::string err;
};

// argv[0] is searched in PATH. Output beyond 16 MiB per stream is dropped.
CommandOutput run_and_capture(const std::vector<std::string>& argv);

} // namespace mdivicom
