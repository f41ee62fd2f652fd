#include "core/util/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include <sched.h>

namespace mdivicom {

unsigned default_worker_count()
{
  // The affinity mask is what a batch scheduler (taskset, Slurm cgroups) actually grants.
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int allowed = CPU_COUNT(&set);
    if (allowed > 0) {
      return static_cast<unsigned>(allowed);
    }
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

void parallel_for(size_t count, unsigned workers, const std::function<void(size_t, unsigned)>& body,
                  const std::function<void()>& tick, std::chrono::milliseconds tick_every)
{
  if (count == 0) {
    return;
  }
  workers = std::clamp<unsigned>(workers, 1, static_cast<unsigned>(std::min<size_t>(count, 256)));

  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex mutex;
  std::condition_variable done_signal;
  unsigned running = workers;

  auto work = [&](unsigned worker) {
    try {
      for (size_t index = next++; index < count && !failed; index = next++) {
        body(index, worker);
      }
    } catch (...) {
      std::lock_guard lock(mutex);
      if (!first_error) {
        first_error = std::current_exception();
      }
      failed = true;
    }
    std::lock_guard lock(mutex);
    --running;
    done_signal.notify_all();
  };

  std::vector<std::jthread> threads;
  threads.reserve(workers);
  for (unsigned worker = 0; worker < workers; ++worker) {
    threads.emplace_back(work, worker);
  }
  {
    std::unique_lock lock(mutex);
    while (!done_signal.wait_for(lock, tick_every, [&] { return running == 0; })) {
      if (tick) {
        lock.unlock();
        tick();
        lock.lock();
      }
    }
  }
  threads.clear();
  if (first_error) {
    std::rethrow_exception(first_error);
  }
}

std::jthread start_or_run(const std::function<void()>& work)
{
  try {
    return std::jthread(work);
  } catch (const std::system_error&) {
    work();
    return {};
  }
}

} // namespace mdivicom
