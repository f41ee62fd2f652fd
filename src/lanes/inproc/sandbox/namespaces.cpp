#include "lanes/inproc/sandbox/namespaces.hpp"
#include "lanes/inproc/sandbox/opt_out.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mdivicom::inproc {

namespace {

constexpr int k_report_fd = 3; // worker_main.cpp's descriptors: 0-2 standard, 3 report, 4 job
constexpr int k_job_fd = 4;

// What init passes up when the interpreter ends: its wait status and its resource use (its own
// and that of the children it reaped), which nobody else can see: mdivicom reaps only the
// waiting process, and init is not waited for (below).
struct InterpreterEnd
{
  int status = 0;
  rusage usage = {};
};

constexpr const char* k_fix = "; enable unprivileged user namespaces (sysctl user.max_user_namespaces=15000 and, where "
                              "it exists, kernel.unprivileged_userns_clone=1 or "
                              "kernel.apparmor_restrict_unprivileged_userns=0), or set MDIVICOM_SANDBOX=off to run "
                              "plugins without it (the run record says so)";

bool write_text(const char* path, const std::string& text)
{
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

void ignore_signals(std::initializer_list<int> signals)
{
  for (int signal : signals) {
    std::signal(signal, SIG_IGN);
  }
}

// Closes every descriptor but `keep`: the waiting processes must not hold the worker's
// output pipes or job socket open.
void close_all_but(int keep)
{
  if (keep > 0) {
    close_range(0, static_cast<unsigned>(keep) - 1, 0);
  }
  close_range(static_cast<unsigned>(keep) + 1, ~0U, 0);
}

// Ends this process the way `status` (from waitpid) says the interpreter ended.
[[noreturn]] void end_like(int status)
{
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core); // the interpreter dumped its core already, if any
    std::signal(signal, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    kill(getpid(), signal);
    _exit(128 + signal);
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

// PID 1 of the namespace: reaps every orphan; when the interpreter ends, writes its status for
// the waiting process and exits, which kills everything still running in the namespace.
[[noreturn]] void be_init(pid_t interpreter, int status_fd)
{
  ignore_signals({SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU});
  while (true) {
    InterpreterEnd end;
    pid_t pid = wait4(-1, &end.status, 0, &end.usage);
    if (pid == interpreter) {
      (void)!write(status_fd, &end, sizeof end); // less than PIPE_BUF: one atomic write
      _exit(0);
    }
    if (pid < 0 && errno == ECHILD) {
      _exit(1);
    }
  }
}

// The interpreter's CPU time and peak memory for the run record, as the report's last event
// (python_lane.cpp). Written by hand: this file links nothing of core or nlohmann.
void report_resources(const rusage& usage)
{
  const double cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  char line[160];
  int length = std::snprintf(line, sizeof line,
                             "{\"event\": \"resources\", \"cpu_s\": %.6f, \"peak_memory_bytes\": %lld}\n", cpu_s,
                             static_cast<long long>(usage.ru_maxrss) * 1024); // ru_maxrss is in KiB
  if (length > 0 && length < static_cast<int>(sizeof line)) {
    (void)!write(k_report_fd, line, static_cast<size_t>(length)); // mdivicom may be gone: nobody to tell
  }
}

// The process mdivicom started: ends as the interpreter did as soon as init says how. It does
// not wait for init to finish exiting: tearing the namespaces down waits for RCU grace periods
// (tens of ms), and nothing of the run is left in them by then.
[[noreturn]] void wait_and_relay(pid_t init, int status_fd)
{
  ignore_signals({SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE});
  InterpreterEnd end;
  ssize_t n = 0;
  while ((n = read(status_fd, &end, sizeof end)) < 0 && errno == EINTR) {
  }
  if (n == static_cast<ssize_t>(sizeof end)) {
    report_resources(end.usage);
    end_like(end.status);
  }
  int init_status = 0; // init was killed before the interpreter ended
  while (waitpid(init, &init_status, 0) < 0 && errno == EINTR) {
  }
  end_like(init_status);
}

std::string errno_text(const char* what)
{
  return std::string(what) + ": " + std::strerror(errno);
}

} // namespace

bool sandbox_disabled_by_user()
{
  return opted_out("MDIVICOM_SANDBOX");
}

Namespaces enter_namespaces()
{
  Namespaces result;
  if (sandbox_disabled_by_user()) {
    result.reason = "disabled by MDIVICOM_SANDBOX=off; unset it to confine plugins";
    return result;
  }
  const uid_t uid = geteuid();
  const gid_t gid = getegid();
  // Only the PID namespace here: it takes effect for the children. The mount namespace is made
  // by init below, so that this process, which mdivicom waits for, is not the last one in it:
  // the last one's exit waits for the namespace's teardown (RCU grace periods, tens of ms).
  // Root needs no user namespace (and keeps its real uid for the plugin's files); a root
  // without CAP_SYS_ADMIN (inside a container) gets one like everybody else.
  result.user_namespace = uid != 0 || unshare(CLONE_NEWPID) != 0;
  if (result.user_namespace) {
    if (unshare(CLONE_NEWUSER | CLONE_NEWPID) != 0) {
      result.reason = "cannot create the sandbox's namespaces (" + errno_text("unshare") + ")" + k_fix;
      return result;
    }
    if (!write_text("/proc/self/setgroups", "deny") ||
        !write_text("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1\n") ||
        !write_text("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1\n")) {
      result.reason =
          "cannot map the user's ids into the sandbox's user namespace (" + errno_text("uid_map") + ")" + k_fix;
      return result;
    }
  }
  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) != 0) {
    result.reason = errno_text("pipe");
    return result;
  }
  pid_t init = fork();
  if (init < 0) {
    result.reason = errno_text("fork");
    return result;
  }
  if (init > 0) {
    // Output and report stay open here until this process ends: mdivicom takes their end of
    // file for the worker's end, and must find its exit status by then.
    close(k_job_fd);
    close(status_pipe[1]);
    wait_and_relay(init, status_pipe[0]);
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  pollfd reader = {status_pipe[1], 0, 0};
  if (poll(&reader, 1, 0) > 0 && (reader.revents & POLLERR) != 0) {
    _exit(127); // the waiting process died before this one was tied to it
  }
  if (unshare(CLONE_NEWNS) != 0) {
    result.reason = "cannot create the sandbox's mount namespace (" + errno_text("unshare") + ")" + k_fix;
  }
  pid_t interpreter = fork();
  if (interpreter < 0) {
    _exit(1);
  }
  if (interpreter > 0) {
    close_all_but(status_pipe[1]);
    be_init(interpreter, status_pipe[1]);
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL); // when init goes, the kernel kills the namespace anyway
  close(status_pipe[0]);
  close(status_pipe[1]);
  result.entered = result.reason.empty();
  return result;
}

} // namespace mdivicom::inproc
