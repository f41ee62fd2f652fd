#pragma once

#include <chrono>
#include <ctime>

#include <spdlog/spdlog.h>

namespace mdivicom {

// Logs at debug level (--verbose) how long each phase of a command took, so that a slow run
// shows where its time went without a profiler. The CPU time is the whole process's since it
// started (loading included, threads included): on a busy machine, what it costs the others.
class PhaseClock
{
public:
  void mark(const char* phase)
  {
    auto now = std::chrono::steady_clock::now();
    spdlog::debug("{}: {:.1f} ms (at {:.1f} ms, CPU {:.1f} ms)", phase, milliseconds(m_last, now),
                  milliseconds(m_start, now), process_cpu_ms());
    m_last = now;
  }

private:
  static double process_cpu_ms()
  {
    timespec cpu{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    return static_cast<double>(cpu.tv_sec) * 1e3 + static_cast<double>(cpu.tv_nsec) / 1e6;
  }

  static double milliseconds(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to)
  {
    return std::chrono::duration<double, std::milli>(to - from).count();
  }

  std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point m_last = m_start;
};

} // namespace mdivicom
