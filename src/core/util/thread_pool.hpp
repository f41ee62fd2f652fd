#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <thread>

namespace mdivicom {

// One worker per core the process may use (at least 1).
unsigned default_worker_count();

// Calls body(index, worker) for every index in [0, count), handing indices out in order from a
// shared counter so the earliest indices start first (callers sort their work largest-first).
// `worker` is in [0, workers) and lets each worker own a buffer. While the workers run, the
// calling thread calls tick() about every tick_every (progress display); tick must not throw.
// The first exception thrown by body stops the hand-out and is rethrown here after every
// worker has stopped.
void parallel_for(size_t count, unsigned workers, const std::function<void(size_t, unsigned)>& body,
                  const std::function<void()>& tick = {},
                  std::chrono::milliseconds tick_every = std::chrono::milliseconds(200));

// Runs `work` on a thread of its own, or right here when no thread can be started (a pids
// limit reached by the plugin's processes): the caller then overlaps less, but a run's end
// never fails for it. `work` must not throw.
std::jthread start_or_run(const std::function<void()>& work);

} // namespace mdivicom
