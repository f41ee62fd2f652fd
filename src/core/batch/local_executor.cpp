#include "core/batch/local_executor.hpp"

#include "core/util/command.hpp"
#include "core/util/error.hpp"
#include "core/util/interrupt.hpp"
#include "core/util/text_bytes.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <map>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mdivicom {

namespace {

using Clock = std::chrono::steady_clock;

struct Running
{
  size_t item;
  pid_t pid;
  int pidfd; // -1 where pidfd_open is missing: then waitpid is polled
  Clock::time_point start;
};

int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

// Reaps `child` when it has ended; the exit code, or -1 while it runs.
int reap(const Running& child)
{
  int status = 0;
  pid_t got = 0;
  do {
    got = ::waitpid(child.pid, &status, WNOHANG);
  } while (got < 0 && errno == EINTR);
  if (got == 0) {
    return -1;
  }
  return got < 0 ? 1 : exit_code_of_wait_status(status);
}

} // namespace

unsigned usable_cpus()
{
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) {
    return static_cast<unsigned>(CPU_COUNT(&set));
  }
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<unsigned>(online) : 1;
}

bool run_items_locally(const std::vector<size_t>& items, const LocalExecution& execution)
{
  std::vector<Running> running;
  size_t next = 0;
  bool starting = true;
  int forwarded = 0;
  const unsigned jobs = std::max(1U, execution.jobs);
  while (true) {
    if (interrupt_count() > forwarded) {
      starting = false;
      for (const Running& child : running) {
        ::kill(-child.pid, interrupt_signal() != 0 ? interrupt_signal() : SIGINT);
      }
      forwarded = interrupt_count();
    }
    while (starting && next < items.size() && running.size() < jobs) {
      const size_t item = items[next++];
      ItemCommand command = execution.command(item);
      SpawnOptions options;
      options.output_file = command.output.string();
      options.own_process_group = true;
      const pid_t pid = spawn_process(command.argv, options);
      running.push_back({item, pid, open_pidfd(pid), Clock::now()});
      execution.started(item);
    }
    if (running.empty()) {
      break;
    }
    // Once forwarded, the interrupt fd stays readable: later signals are seen by their count.
    std::vector<pollfd> fds{{forwarded > 0 ? -1 : interrupt_fd(), POLLIN, 0}};
    bool all_pidfds = forwarded == 0;
    for (const Running& child : running) {
      fds.push_back({child.pidfd, POLLIN, 0});
      all_pidfds = all_pidfds && child.pidfd >= 0;
    }
    const int timeout_ms = all_pidfds ? 1000 : 50;
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) {
      throw Error(std::string("waiting for the batch's items failed: ") + std::strerror(errno));
    }
    for (size_t i = 0; i < running.size();) {
      const int code = reap(running[i]);
      if (code < 0) {
        ++i;
        continue;
      }
      const Running ended = running[i];
      if (ended.pidfd >= 0) {
        ::close(ended.pidfd);
      }
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      const double seconds = std::chrono::duration<double>(Clock::now() - ended.start).count();
      if (!execution.finished(ended.item, {code, seconds})) {
        starting = false;
      }
    }
    if (execution.tick) {
      execution.tick();
    }
  }
  return forwarded > 0;
}

} // namespace mdivicom
