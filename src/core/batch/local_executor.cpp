#include "core/batch/local_executor.hpp"

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
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

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

// posix_spawn's attributes and file actions, freed on every path.
struct SpawnSetup
{
  posix_spawnattr_t attr{};
  posix_spawn_file_actions_t actions{};
  SpawnSetup()
  {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup()
  {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

pid_t spawn_item(const ItemCommand& command)
{
  SpawnSetup setup;
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&setup.attr, &none);
  posix_spawnattr_setsigdefault(&setup.attr, &all);
  posix_spawnattr_setpgroup(&setup.attr, 0);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&setup.actions, 1, command.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&setup.actions, 1, 2);
  std::vector<char*> argv;
  for (const std::string& arg : command.argv) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int status = posix_spawn(&pid, argv[0], &setup.actions, &setup.attr, argv.data(), environ);
  if (status != 0) {
    throw Error("cannot start " + printable(command.argv[0]) + ": " + std::strerror(status));
  }
  return pid;
}

int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

int exit_code_of(int status)
{
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
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
  return got < 0 ? 1 : exit_code_of(status);
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
      const pid_t pid = spawn_item(command);
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
