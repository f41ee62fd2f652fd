#include "lanes/inproc/run_worker.hpp"

#include "core/error.hpp"
#include "lanes/inproc/embedded_python.hpp"
#include "lanes/inproc/landlock.hpp"
#include "lanes/inproc/worker.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mdivicom::inproc {

namespace {

constexpr int k_worker_setup_failed = 71; // EX_OSERR

// A socket rather than a pipe: the parent sends with MSG_NOSIGNAL, so a worker that died
// early is an error to handle, not a SIGPIPE that kills mdivicom.
Pipe make_job_channel()
{
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    throw Error(std::string("cannot create the worker's job socket: ") + std::strerror(errno));
  }
  shutdown(fds[0], SHUT_WR);
  shutdown(fds[1], SHUT_RD);
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Everything until end of file; empty when the parent went away without sending a job.
std::vector<std::uint8_t> read_all(int fd)
{
  std::vector<std::uint8_t> text;
  char buffer[65536];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return text;
    }
    text.insert(text.end(), buffer, buffer + n);
  }
}

// In the worker, before the plugin's code: the sandbox, then the bootstrap's params.
std::optional<nlohmann::json> receive_job(int job_fd, int report_fd)
{
  auto job = nlohmann::json::from_cbor(read_all(job_fd), true, false);
  close(job_fd);
  if (job.is_discarded() || !job.is_object()) {
    return std::nullopt; // mdivicom gave up on the run before it started
  }
  SandboxRules rules = rules_from_json(job["sandbox"]);
  SandboxResult sandbox = enforce_sandbox(rules);
  nlohmann::json event = {{"event", "sandbox"}, {"facts", sandbox_facts(rules, sandbox)}};
  write_all(report_fd, event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  nlohmann::json params = std::move(job["params"]);
  params["report_fd"] = report_fd;
  return params;
}

int worker_main(const PythonEnv& env, int out_fd, int err_fd, int report_fd, int job_fd)
{
  int out = move_fd_high(out_fd);
  int err = move_fd_high(err_fd);
  int report = move_fd_high(report_fd);
  int job = move_fd_high(job_fd);
  int devnull = open("/dev/null", O_RDONLY);
  if (out < 0 || err < 0 || report < 0 || job < 0 || devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 ||
      dup2(err, 2) < 0) {
    return k_worker_setup_failed;
  }
  // Nothing of the parent's (sockets, lock files) leaks into the plugin: only stdio, the
  // report pipe and the job socket (report < job: both were the lowest free numbers >= 10).
  close_range(3, static_cast<unsigned>(report - 1), 0);
  if (job > report + 1) {
    close_range(static_cast<unsigned>(report + 1), static_cast<unsigned>(job - 1), 0);
  }
  close_range(static_cast<unsigned>(job + 1), ~0U, 0);
  return run_in_interpreter({env.executable, true}, "run_plugin", [&]() { return receive_job(job, report); });
}

} // namespace

RunWorker start_run_worker(const PythonEnv& env)
{
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  Pipe report = make_pipe();
  Pipe job = make_job_channel();
  std::fflush(nullptr); // or the worker would print the parent's buffered output again
  ChildProcess child = ChildProcess::start(
      [&]() { return worker_main(env, out.write.get(), err.write.get(), report.write.get(), job.read.get()); });
  return RunWorker{
      std::move(child),
      WorkerPipes{std::move(out.read), std::move(err.read), std::move(report.read), std::move(job.write), {}}};
}

std::vector<std::uint8_t> run_job(const PythonRunPlan& plan, const RunRequest& request)
{
  // CBOR keeps paths that are not UTF-8 byte for byte, as JSON text would not.
  return nlohmann::json::to_cbor(
      nlohmann::json{{"params", worker_params(plan, request)}, {"sandbox", rules_to_json(plan.sandbox)}});
}

} // namespace mdivicom::inproc
