#include "lanes/inproc/run_supervisor.hpp"

#include "core/util/phase_clock.hpp"

#include "core/util/interrupt.hpp"
#include "lanes/inproc/python_worker.hpp"
#include "lanes/inproc/worker.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <string_view>

#include <poll.h>
#include <unistd.h>

namespace mdivicom::inproc {

namespace {

constexpr auto k_drain_limit = std::chrono::seconds(2);
// Longer waits are waits for ever; a longer duration would overflow the clock's nanoseconds.
constexpr double k_longest_wait_s = 100.0 * 365 * 24 * 3600;

Clock::time_point after(double seconds)
{
  seconds = std::min(seconds, k_longest_wait_s);
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

int milliseconds_until(Clock::time_point when)
{
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(when - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(std::min<long long>(left, 1'000'000));
}

// Reads what one pipe has; closes it at end of file.
class PipeReader
{
public:
  PipeReader(WorkerPipes& pipes, OutputSink& output, std::vector<nlohmann::json>& events)
    : m_pipes(pipes), m_output(output), m_events(events)
  {}

  bool any_open() const { return m_pipes.out || m_pipes.err || m_pipes.report; }

  // Adds the open pipes to `fds`; returns how many.
  size_t add_to(std::vector<pollfd>& fds) const
  {
    size_t count = 0;
    for (const UniqueFd* fd : {&m_pipes.out, &m_pipes.err, &m_pipes.report}) {
      if (*fd) {
        fds.push_back({fd->get(), POLLIN, 0});
        ++count;
      }
    }
    return count;
  }

  void read_ready(const std::vector<pollfd>& fds, size_t count)
  {
    for (size_t i = 0; i < count; ++i) {
      if (fds[i].revents != 0) {
        read_one(fds[i].fd);
      }
    }
  }

private:
  void read_one(int fd)
  {
    char buffer[65536];
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
      return;
    }
    if (n <= 0) {
      for (UniqueFd* pipe : {&m_pipes.out, &m_pipes.err, &m_pipes.report}) {
        if (pipe->get() == fd) {
          pipe->reset();
        }
      }
      return;
    }
    std::string_view text(buffer, static_cast<size_t>(n));
    if (fd == m_pipes.out.get()) {
      m_output.out(text);
    } else if (fd == m_pipes.err.get()) {
      m_output.err(text);
    } else {
      for (auto& event : m_reader.feed(buffer, static_cast<size_t>(n))) {
        m_clock.mark(("worker event " + event.value("event", std::string("?"))).c_str());
        m_events.push_back(std::move(event));
      }
    }
  }

  PhaseClock m_clock; // from the start of supervision: where a run's time goes, with --verbose
  WorkerPipes& m_pipes;
  OutputSink& m_output;
  std::vector<nlohmann::json>& m_events;
  JsonLineReader m_reader;
};

// Consumes the bytes InterruptScope wrote; true when there were any (a new interrupt).
bool drain_interrupt_fd(int fd)
{
  bool any = false;
  char buffer[64];
  while (read(fd, buffer, sizeof buffer) > 0) {
    any = true;
  }
  return any;
}

} // namespace

SupervisedEnd supervise(ChildProcess& child, WorkerPipes& pipes, OutputSink& output, std::optional<double> timeout_s,
                        double grace_s)
{
  SupervisedEnd end;
  PipeReader reader(pipes, output, end.events);
  std::optional<Clock::time_point> deadline;
  if (timeout_s) {
    deadline = after(*timeout_s);
  }
  std::optional<Clock::time_point> kill_at;
  int interrupt = interrupt_fd();
  // Without a pidfd, poll briefly and ask waitid() instead.
  int tick_ms = child.exit_fd() >= 0 ? 250 : 50;

  auto cancel = [&] {
    if (interrupt >= 0) {
      drain_interrupt_fd(interrupt); // this signal's byte, when poll() has not seen it yet
    }
    end.stopped_by = StopReason::cancelled;
    end.cancelled_by = interrupt_requested() ? interrupt_signal() : SIGINT;
    pipes.job.reset();          // a worker still waiting for its job ends without running the plugin
    child.signal_group(SIGINT); // Python turns it into KeyboardInterrupt: finally blocks run
    kill_at = after(grace_s);
  };

  size_t job_sent = 0;
  while (!child.has_ended()) {
    if (end.stopped_by != StopReason::cancelled && interrupt_requested()) {
      cancel(); // before the job is sent: a Ctrl-C while the run was being set up
    }
    send_job(pipes.job, pipes.job_bytes, job_sent, false);
    std::vector<pollfd> fds;
    size_t pipe_count = reader.add_to(fds);
    if (pipes.job) {
      fds.push_back({pipes.job.get(), POLLOUT, 0});
    }
    if (child.exit_fd() >= 0) {
      fds.push_back({child.exit_fd(), POLLIN, 0});
    }
    size_t interrupt_index = fds.size();
    if (interrupt >= 0) {
      fds.push_back({interrupt, POLLIN, 0});
    }
    int wait_ms = tick_ms;
    for (const auto& when : {deadline, kill_at}) {
      if (when) {
        wait_ms = std::min(wait_ms, milliseconds_until(*when));
      }
    }
    if (poll(fds.data(), fds.size(), wait_ms) < 0 && errno != EINTR) {
      break;
    }
    reader.read_ready(fds, pipe_count);

    bool new_interrupt = interrupt >= 0 && fds[interrupt_index].revents != 0 && drain_interrupt_fd(interrupt);
    if (end.stopped_by != StopReason::cancelled && (new_interrupt || interrupt_requested())) {
      cancel();
    } else if (end.stopped_by == StopReason::cancelled && new_interrupt && !end.killed) {
      child.signal_group(SIGKILL); // a second Ctrl-C: stop waiting
      end.killed = true;
      end.second_interrupt = true;
    }
    if (deadline && Clock::now() >= *deadline && end.stopped_by == StopReason::none) {
      end.stopped_by = StopReason::timeout;
      pipes.job.reset();
      child.signal_group(SIGTERM);
      kill_at = after(grace_s);
      deadline.reset();
    }
    if (kill_at && Clock::now() >= *kill_at && !end.killed) {
      child.signal_group(SIGKILL);
      end.killed = true;
      kill_at.reset();
    }
  }

  // The worker is gone; stop anything it left in its group so the pipes reach end of file.
  child.signal_group(SIGKILL);
  auto drain_until = Clock::now() + k_drain_limit;
  while (reader.any_open() && Clock::now() < drain_until) {
    std::vector<pollfd> fds;
    size_t count = reader.add_to(fds);
    int ready = poll(fds.data(), fds.size(), milliseconds_until(drain_until));
    if (ready < 0 && errno == EINTR) {
      continue; // a signal (a late Ctrl-C): the worker's last events and output are still read
    }
    if (ready <= 0) {
      break;
    }
    reader.read_ready(fds, count);
  }
  end.exit = child.reap();
  return end;
}

} // namespace mdivicom::inproc
