#pragma once

namespace mdivicom {

// Catches SIGINT and SIGTERM for its lifetime so a run can be finalized as "cancelled"
// instead of dying; restores the previous handlers when destroyed.
class InterruptScope
{
public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};

// The first signal caught (SIGINT or SIGTERM), or 0.
int interrupt_signal();
inline bool interrupt_requested()
{
  return interrupt_signal() != 0;
}

// A file descriptor that becomes readable once a signal was caught, for poll() loops.
int interrupt_fd();

} // namespace mdivicom
