#include "lanes/inproc/child_process.hpp"

#include "core/util/error.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mdivicom::inproc {

Pipe make_pipe()
{
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    throw Error(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::string describe_signal(int signal)
{
  const char* name = sigabbrev_np(signal);
  return std::to_string(signal) + (name != nullptr ? std::string(" (SIG") + name + ")" : "");
}

namespace {

// posix_spawn's attribute and file-action objects, destroyed on every path.
struct SpawnSetup
{
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;

  SpawnSetup()
  {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup()
  {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// A parent that ignored SIGCHLD (inherited across exec) or set SA_NOCLDWAIT makes the kernel
// reap our children itself: waitid() then fails with ECHILD and a plugin's exit status is lost.
void keep_exit_statuses()
{
  struct sigaction current = {};
  if (sigaction(SIGCHLD, nullptr, &current) == 0 &&
      (current.sa_handler == SIG_IGN || (current.sa_flags & SA_NOCLDWAIT) != 0)) {
    struct sigaction default_action = {};
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    sigaction(SIGCHLD, &default_action, nullptr);
  }
}

// Duplicates fd (close-on-exec) to a number >= 10, so that moving pipes onto 0..4 never
// clobbers one of them.
int move_fd_high(int fd)
{
  return fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

} // namespace

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv, const std::vector<int>& fds)
{
  keep_exit_statuses();
  SpawnSetup setup;
  std::vector<UniqueFd> moved; // a source that is itself one of the targets would be clobbered
  for (size_t target = 0; target < fds.size(); ++target) {
    int source = fds[target];
    if (source < 0) {
      posix_spawn_file_actions_addopen(&setup.actions, static_cast<int>(target), "/dev/null", O_RDWR, 0);
      continue;
    }
    if (source < static_cast<int>(fds.size())) {
      moved.emplace_back(move_fd_high(source));
      source = moved.back().get();
    }
    posix_spawn_file_actions_adddup2(&setup.actions, source, static_cast<int>(target));
  }
  sigset_t all;
  sigset_t none;
  sigfillset(&all);
  sigemptyset(&none);
  // A session of its own (and so a process group, which is signalled as a whole): no
  // controlling terminal, so the plugin can neither inject input into the user's shell
  // (TIOCSTI) nor be stopped for reading the terminal (SIGTTIN) in the background.
  posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setsigdefault(&setup.attributes, &all);
  posix_spawnattr_setsigmask(&setup.attributes, &none);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = -1;
  int error = posix_spawn(&pid, argv.at(0).c_str(), &setup.actions, &setup.attributes, args.data(), environ);
  if (error != 0) {
    throw Error("cannot start " + argv[0] + ": " + std::strerror(error) +
                "; it is part of mdivicom: reinstall mdivicom, or make the file executable again");
  }
  return ChildProcess(pid);
}

ChildProcess::ChildProcess(pid_t pid) : m_pid(pid)
{
  m_pidfd.reset(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
  : m_pid(other.m_pid), m_pidfd(std::move(other.m_pidfd)), m_reaped(other.m_reaped)
{
  other.m_reaped = true;
}

ChildProcess::~ChildProcess()
{
  if (!m_reaped) {
    reap();
  }
}

bool ChildProcess::has_ended()
{
  if (m_reaped) {
    return true;
  }
  siginfo_t info = {};
  // WNOWAIT keeps the zombie: its pid, and so the process group id, cannot be reused yet.
  if (waitid(P_PID, static_cast<id_t>(m_pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno == ECHILD;
  }
  return info.si_pid != 0;
}

void ChildProcess::signal_group(int signal)
{
  if (!m_reaped) {
    kill(-m_pid, signal);
  }
}

ChildExit ChildProcess::reap()
{
  ChildExit result;
  if (m_reaped) {
    return result;
  }
  kill(-m_pid, SIGKILL);
  int status = 0;
  rusage usage = {};
  pid_t waited;
  do {
    waited = wait4(m_pid, &status, 0, &usage);
  } while (waited < 0 && errno == EINTR);
  m_reaped = true;
  if (waited == m_pid) {
    result.cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                   static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    result.peak_memory_bytes = static_cast<long long>(usage.ru_maxrss) * 1024; // KiB on Linux
  }
  if (waited == m_pid && WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (waited == m_pid && WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

} // namespace mdivicom::inproc
