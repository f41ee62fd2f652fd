#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/util/interrupt.hpp"

namespace mdivicom {

// A single self-overwriting progress line on stderr for hashing many files ("mdivicom: hashing
// <what>: ..."), shown only on a terminal and only for long work (past 1 s or 256 MiB); logs
// and pipes get nothing. Totals of 0 mean unknown. Workers add to `files` and `bytes`; one
// thread calls tick().
class ProgressLine
{
public:
  ProgressLine(std::string what, size_t total_files, uint64_t total_bytes, bool allowed);
  ~ProgressLine(); // ends the line, also when the work was interrupted
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  std::atomic<size_t> files{0};
  std::atomic<uint64_t> bytes{0};
  void tick();
  // A signal arrived since this work began (not one that came before: see interrupt_count).
  bool interrupted() const { return interrupt_count() != m_interrupts_at_start; }
  const std::string& what() const { return m_what; }

private:
  void print();

  std::string m_what;
  size_t m_total_files;
  uint64_t m_total_bytes;
  bool m_enabled;
  bool m_shown = false;
  std::chrono::steady_clock::time_point m_start;
  int m_interrupts_at_start = interrupt_count();
};

} // namespace mdivicom
