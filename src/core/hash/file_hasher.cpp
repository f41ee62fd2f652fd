#include "core/hash/file_hasher.hpp"

#include "core/util/error.hpp"
#include "core/util/interrupt.hpp"
#include "core/hash/sha256.hpp"
#include "core/util/thread_pool.hpp"
#include "core/util/tree_walk.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <numeric>
#include <optional>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom {

namespace {

constexpr size_t k_buffer_size = k_hash_buffer_size;

void hash_one(int root_fd, HashJob& job, bool follow_symlinks, unsigned char* buffer, Sha256& hash,
              ProgressLine& progress)
{
  UniqueFd fd(open_below(root_fd, job.path, follow_symlinks, O_RDONLY | O_NONBLOCK | O_NOCTTY));
  if (!fd) {
    job.error = errno == ELOOP ? "became a symbolic link while being inventoried" : std::strerror(errno);
    return;
  }
  struct stat info = {};
  if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    job.error = "is no longer a regular file";
    return;
  }
  hash_open_file(fd.get(), static_cast<uint64_t>(info.st_size), buffer, hash, progress, job);
}

} // namespace

void hash_open_file(int fd, uint64_t size_at_open, unsigned char* buffer, Sha256& hash, ProgressLine& progress,
                    HashJob& job)
{
  if (size_at_open > k_buffer_size) {
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL); // larger read-ahead; a syscall small files skip
  }
  hash.reset();
  uint64_t total = 0;
  while (true) {
    ssize_t count = ::read(fd, buffer, k_buffer_size);
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count < 0) {
      job.error = std::string("read failed: ") + std::strerror(errno);
      return;
    }
    if (count == 0) {
      break;
    }
    hash.update(buffer, static_cast<size_t>(count));
    total += static_cast<uint64_t>(count);
    progress.bytes.fetch_add(static_cast<uint64_t>(count), std::memory_order_relaxed);
    if (progress.interrupted()) {
      throw Error("interrupted while hashing " + (job.path.empty() ? progress.what() : job.path),
                  ExitCode::interrupted);
    }
    // A short read that ends exactly at the size fstat gave is the end of the file: skip the
    // read that would return 0 (one syscall in five for small files). A file still growing
    // makes total differ, and the loop reads on to a real EOF.
    if (static_cast<size_t>(count) < k_buffer_size && total == size_at_open) {
      break;
    }
  }
  job.sha256 = hash.hex_digest();
  job.size = total;
}

void hash_files(const std::filesystem::path& root, std::vector<HashJob>& jobs, const HashOptions& options)
{
  if (jobs.empty()) {
    return;
  }
  UniqueFd root_fd = open_root_dir(root);

  // Largest first: two big files start at once on two cores, and the small ones fill the gaps.
  std::vector<size_t> order(jobs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return jobs[a].expected_size > jobs[b].expected_size; });
  uint64_t total_bytes = 0;
  for (const auto& job : jobs) {
    total_bytes += job.expected_size;
  }

  unsigned workers = options.workers != 0 ? options.workers : default_worker_count();
  workers = static_cast<unsigned>(std::min<size_t>(workers, jobs.size()));
  std::vector<std::unique_ptr<unsigned char[]>> buffers(workers);
  std::vector<std::optional<Sha256>> hashes(workers);
  ProgressLine progress(options.what, jobs.size(), total_bytes, options.progress);

  parallel_for(
      order.size(), workers,
      [&](size_t index, unsigned worker) {
        if (!buffers[worker]) {
          buffers[worker] = std::make_unique_for_overwrite<unsigned char[]>(k_buffer_size);
          hashes[worker].emplace();
        }
        if (progress.interrupted()) {
          throw Error("interrupted while hashing " + options.what, ExitCode::interrupted);
        }
        hash_one(root_fd.get(), jobs[order[index]], options.follow_symlinks, buffers[worker].get(), *hashes[worker],
                 progress);
        progress.files.fetch_add(1, std::memory_order_relaxed);
      },
      [&] { progress.tick(); });
}

} // namespace mdivicom
