#include "lanes/inproc/worker.hpp"

#include "core/json/bounded.hpp"
#include "lanes/inproc/sandbox/landlock.hpp"
#include "lanes/inproc/python_worker.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>

#include <poll.h>
#include <unistd.h>

namespace mdivicom::inproc {

std::vector<nlohmann::json> JsonLineReader::feed(const char* data, size_t size)
{
  std::vector<nlohmann::json> events;
  m_pending.append(data, size);
  size_t start = 0;
  size_t newline;
  while ((newline = m_pending.find('\n', start)) != std::string::npos) {
    auto event = parse_json_bounded(std::string_view(m_pending).substr(start, newline - start), false);
    if (!event.is_discarded() && event.is_object()) {
      events.push_back(std::move(event));
    }
    start = newline + 1;
  }
  m_pending.erase(0, start);
  return events;
}

WorkerRun run_reporting_worker(const PythonEnv& env, const char* function, nlohmann::json params, double timeout_s,
                               const std::function<bool(const nlohmann::json&)>& on_event)
{
  Pipe report = make_pipe();
  Pipe job = make_job_channel();
  // stdout goes to stderr: registration code must not print into a listing.
  ChildProcess child = start_python_worker(env.executable, function, false, {2, 2, report.write.get(), job.read.get()});
  report.write.reset();
  job.read.reset();
  // The job is small (names of entry points) and the worker reads it as soon as its
  // interpreter has started; the report pipe is read only after.
  size_t sent = 0;
  SandboxRules nothing_writable;
  nothing_writable.writable_files = {"/dev/null", "/dev/zero", "/dev/full"};
  send_job(job.write, encode_job(std::move(params), rules_to_json(nothing_writable)), sent, true);

  WorkerRun run;
  JsonLineReader reader;
  auto timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));
  auto deadline = Clock::now() + timeout +
                  std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(k_worker_startup_s));
  // Returns false at end of file.
  auto read_report = [&]() {
    char buffer[65536];
    ssize_t n = read(report.read.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      return true;
    }
    if (n <= 0) {
      return false;
    }
    for (const auto& event : reader.feed(buffer, static_cast<size_t>(n))) {
      if (event.value("event", "") == "sandbox") {
        const nlohmann::json facts = event.value("facts", nlohmann::json::object());
        if (facts.value("refused", false)) {
          run.sandbox_refused = facts.value("mounts", nlohmann::json::object()).value("reason", std::string("?"));
        }
        continue;
      }
      if (on_event(event)) {
        deadline = Clock::now() + timeout;
      }
    }
    return true;
  };
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      run.timed_out = true;
      break;
    }
    pollfd fds[2] = {{report.read.get(), POLLIN, 0}, {child.exit_fd(), POLLIN, 0}};
    nfds_t count = child.exit_fd() >= 0 ? 2 : 1;
    int ready = poll(fds, count, static_cast<int>(std::min<long long>(left, 100)));
    if (ready < 0 && errno != EINTR) {
      break;
    }
    if (fds[0].revents != 0 && !read_report()) {
      break;
    }
    if (child.has_ended()) {
      // Whatever the worker wrote before ending is still in the pipe; a grandchild that
      // inherited the pipe must not keep us waiting for end of file.
      pollfd drain = {report.read.get(), POLLIN, 0};
      while (poll(&drain, 1, 0) > 0 && read_report()) {
      }
      break;
    }
  }
  run.exit = child.reap();
  return run;
}

} // namespace mdivicom::inproc
