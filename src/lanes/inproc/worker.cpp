#include "lanes/inproc/worker.hpp"

#include "lanes/inproc/embedded_python.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>

#include <fcntl.h>
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
    auto event = nlohmann::json::parse(m_pending.begin() + static_cast<std::ptrdiff_t>(start),
                                       m_pending.begin() + static_cast<std::ptrdiff_t>(newline), nullptr, false);
    if (!event.is_discarded() && event.is_object()) {
      events.push_back(std::move(event));
    }
    start = newline + 1;
  }
  m_pending.erase(0, start);
  return events;
}

int move_fd_high(int fd)
{
  return fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

bool write_all(int fd, const std::string& text)
{
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

WorkerRun run_reporting_worker(const PythonEnv& env, const char* function, nlohmann::json params, double timeout_s,
                               const std::function<bool(const nlohmann::json&)>& on_event)
{
  Pipe report = make_pipe();
  int report_write = report.write.get();
  std::fflush(nullptr);
  ChildProcess child = ChildProcess::start([&]() {
    int high = move_fd_high(report_write);
    int devnull = open("/dev/null", O_RDONLY);
    if (high < 0 || devnull < 0) {
      return 71;
    }
    dup2(devnull, 0);
    dup2(2, 1);
    // Registration code sees no descriptor of mdivicom's but stdio and its report pipe.
    close_range(3, static_cast<unsigned>(high - 1), 0);
    close_range(static_cast<unsigned>(high + 1), ~0U, 0);
    params["report_fd"] = high;
    return run_in_interpreter({env.executable, false}, function, [&]() { return std::optional(params); });
  });
  report.write.reset();

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
