#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "core/util/unique_fd.hpp"

namespace mdivicom::inproc {

struct Pipe
{
  UniqueFd read;
  UniqueFd write;
};

// A close-on-exec pipe; throws mdivicom::Error when the system is out of descriptors.
Pipe make_pipe();

// How a child ended, from wait4().
struct ChildExit
{
  std::optional<int> exit_code; // set when it exited
  std::optional<int> signal;    // set when a signal killed it
  // Its resource use and that of the children it reaped (not of those it left to init).
  double cpu_s = 0;                // user + system
  long long peak_memory_bytes = 0; // the largest resident set of any one of those processes
};

std::string describe_signal(int signal); // "11 (SIGSEGV)"

// A child (the Python worker) in its own session and process group, without a controlling
// terminal, so that it and everything it starts can be signalled or killed as one. Destroying a child that was not
// reaped kills its whole group and reaps it: no zombie and no orphan survives the owner.
class ChildProcess
{
public:
  // Starts argv[0] (a path) with posix_spawn: no copy of mdivicom's memory. It runs in its own
  // session with every signal at its default and none blocked; fds[i] becomes its
  // descriptor i (-1: /dev/null). It must tie itself to the parent (PR_SET_PDEATHSIG) on its
  // own. Throws mdivicom::Error when it cannot be started.
  static ChildProcess spawn(const std::vector<std::string>& argv, const std::vector<int>& fds);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return m_pid; }

  // Readable once the child has ended (a pidfd), or -1 on kernels without pidfd_open.
  int exit_fd() const { return m_pidfd.get(); }

  // True once the child ended; the zombie is kept so its process group id stays reserved.
  bool has_ended();

  // Sends a signal to the child's whole process group.
  void signal_group(int signal);

  // Kills whatever is left of the group, then reaps the child (blocking until it ends).
  ChildExit reap();

private:
  explicit ChildProcess(pid_t pid);

  pid_t m_pid = -1;
  UniqueFd m_pidfd;
  bool m_reaped = false;
};

using Clock = std::chrono::steady_clock;

} // namespace mdivicom::inproc
