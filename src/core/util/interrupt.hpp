#pragma once

namespace mdivicom {

// Catches SIGINT, SIGTERM and SIGHUP for its lifetime so a run can be finalized as "cancelled"
// instead of dying; restores the previous handlers when destroyed.
class InterruptScope
{
public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};

// The first signal caught (SIGINT, SIGTERM or SIGHUP), or 0.
int interrupt_signal();

// How many signals were caught so far. Work that began after a cancel (the inventory of a
// cancelled run's outputs) stops only for a later signal: it compares counts.
int interrupt_count();
inline bool interrupt_requested()
{
  return interrupt_signal() != 0;
}

// A file descriptor that becomes readable once a signal was caught, for poll() loops.
int interrupt_fd();

} // namespace mdivicom
