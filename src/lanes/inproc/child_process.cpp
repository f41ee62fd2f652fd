#include "lanes/inproc/child_process.hpp"

#include "core/error.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mdivicom::inproc {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept
{
  if (this != &other) {
    reset(other.release());
  }
  return *this;
}

int UniqueFd::release()
{
  int fd = m_fd;
  m_fd = -1;
  return fd;
}

void UniqueFd::reset(int fd)
{
  if (m_fd >= 0) {
    close(m_fd);
  }
  m_fd = fd;
}

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

ChildProcess ChildProcess::start(const std::function<int()>& body)
{
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    throw Error(std::string("cannot start a worker process: fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    setpgid(0, 0);
    // The worker must not outlive mdivicom, even when mdivicom is SIGKILLed.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
      _exit(127);
    }
    // The parent's InterruptScope handlers must not run in the worker.
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int code = 127;
    try {
      code = body();
    } catch (const std::exception& error) {
      // Never unwind into the parent's code: the worker is a copy of it.
      std::fprintf(stderr, "mdivicom: the worker failed: %s\n", error.what());
      code = 127;
    } catch (...) {
      code = 127;
    }
    _exit(code);
  }
  // Set on both sides so that signal_group() works whichever runs first.
  setpgid(pid, pid);
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
  pid_t waited;
  do {
    waited = waitpid(m_pid, &status, 0);
  } while (waited < 0 && errno == EINTR);
  m_reaped = true;
  if (waited == m_pid && WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (waited == m_pid && WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

} // namespace mdivicom::inproc
