#include "core/records/inventory_scan.hpp"
#include "core/util/dir_handle.hpp"

#include "core/util/error.hpp"
#include "core/hash/file_hasher.hpp"
#include "core/util/interrupt.hpp"
#include "core/hash/sha256.hpp"
#include "core/util/thread_pool.hpp"
#include "core/util/sorted_by_path.hpp"
#include "core/util/tree_walk.hpp"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

using SharedDir = std::shared_ptr<DIR>;

// A file or directory to visit. It is opened relative to its parent directory, which was
// itself opened without following links: one path component, O_NOFOLLOW, no lookup from the
// root, and nothing can be swapped in above it meanwhile.
struct Task
{
  SharedDir parent; // null for the root
  std::string path; // relative to the root, as recorded; the name in parent starts at name_at
  size_t name_at = 0;
  bool directory = false;

  const char* name() const { return path.c_str() + name_at; }
};

// Tasks shared by the workers. Last in, first out: directories (pushed last) are listed
// early, which keeps every worker fed, and the queue stays as small as a depth-first walk.
// The work is done when every worker waits and nothing is queued.
class TaskQueue
{
public:
  explicit TaskQueue(unsigned workers) : m_workers(workers) {}

  void push(std::vector<Task>& tasks)
  {
    if (tasks.empty()) {
      return;
    }
    std::lock_guard lock(m_mutex);
    for (auto& task : tasks) {
      m_tasks.push_back(std::move(task));
    }
    tasks.clear();
    m_ready.notify_all();
  }

  // Moves the next tasks into `taken`; false when all work is done. Several small tasks are
  // taken under one lock while plenty are queued, but never more than a fair share, so two
  // big files still go to two workers.
  bool pop(std::vector<Task>& taken)
  {
    taken.clear();
    std::unique_lock lock(m_mutex);
    ++m_waiting;
    while (m_tasks.empty() && !m_stopped) {
      if (m_waiting == m_workers) {
        m_stopped = true; // nobody is left to push more work
        m_ready.notify_all();
        break;
      }
      m_ready.wait(lock);
    }
    --m_waiting;
    if (m_stopped) {
      return false;
    }
    const size_t share = std::clamp<size_t>(m_tasks.size() / (size_t{4} * m_workers), 1, 32);
    for (size_t i = 0; i < share && !m_tasks.empty(); ++i) {
      taken.push_back(std::move(m_tasks.back()));
      m_tasks.pop_back();
      if (taken.back().directory) {
        break; // list it now: its tasks feed the other workers
      }
    }
    return true;
  }

  // Ends the work early (a worker failed).
  void stop()
  {
    std::lock_guard lock(m_mutex);
    m_stopped = true;
    m_ready.notify_all();
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_ready;
  std::vector<Task> m_tasks;
  unsigned m_workers;
  unsigned m_waiting = 0;
  bool m_stopped = false;
};

InventoryEntry entry_with_error(std::string path, EntryType type, const std::string& error)
{
  InventoryEntry entry;
  entry.path = std::move(path);
  entry.type = type;
  entry.error = error;
  return entry;
}

class Scanner
{
public:
  Scanner(const fs::path& root, unsigned workers, ProgressLine& progress)
    : m_root(root), m_root_fd(open_root_dir(root)), m_queue(workers), m_progress(progress)
  {}

  TaskQueue& queue() { return m_queue; }

  // Lists a directory: links and special files become entries, files and directories tasks
  // (files last, so they are taken first and the directory is let go soon).
  void list(const Task& task, std::deque<InventoryEntry>& found, std::vector<Task>& discovered)
  {
    int fd = !task.parent
                 ? ::dup(m_root_fd.get())
                 : ::openat(::dirfd(task.parent.get()), task.name(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    SharedDir dir(fd >= 0 ? ::fdopendir(fd) : nullptr, DirCloser());
    if (!dir) {
      int saved = errno;
      if (fd >= 0) {
        ::close(fd);
      }
      if (!task.parent) {
        throw Error("cannot list " + m_root.string() + ": " + std::strerror(saved));
      }
      found.push_back(entry_with_error(task.path, EntryType::directory,
                                       std::string("cannot open directory: ") + std::strerror(saved)));
      return;
    }
    const size_t first_new = discovered.size();
    bool empty = true;
    errno = 0;
    while (const dirent* item = ::readdir(dir.get())) {
      const std::string_view name = item->d_name;
      if (name == "." || name == "..") {
        errno = 0;
        continue;
      }
      empty = false;
      const size_t name_at = task.path.empty() ? 0 : task.path.size() + 1;
      std::string path = task.path.empty() ? std::string(name) : task.path + "/" + std::string(name);
      EntryType type = EntryType::unknown;
      switch (item->d_type) {
      case DT_REG: type = EntryType::file; break;
      case DT_DIR: type = EntryType::directory; break;
      case DT_LNK: type = EntryType::symlink; break;
      default: {
        struct stat info = {};
        if (::fstatat(::dirfd(dir.get()), item->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0) {
          found.push_back(
              entry_with_error(path, EntryType::unknown, std::string("cannot examine: ") + std::strerror(errno)));
          errno = 0;
          continue;
        }
        type = entry_type_from_mode(info.st_mode);
      }
      }
      if (type == EntryType::file || type == EntryType::directory) {
        discovered.push_back({dir, std::move(path), name_at, type == EntryType::directory});
      } else {
        InventoryEntry entry;
        entry.type = type;
        if (type == EntryType::symlink) {
          entry.target = read_link_at(::dirfd(dir.get()), item->d_name);
          entry.escapes = !link_stays_inside(path, entry.target);
        }
        entry.path = std::move(path);
        found.push_back(std::move(entry));
      }
      errno = 0;
    }
    if (errno != 0) {
      if (!task.parent) {
        throw Error("cannot list " + m_root.string() + ": " + std::strerror(errno));
      }
      found.push_back(entry_with_error(task.path, EntryType::directory,
                                       std::string("cannot list directory: ") + std::strerror(errno)));
    } else if (empty && task.parent) {
      found.push_back(entry_with_error(task.path, EntryType::directory, {})); // an empty directory is recorded
    }
    std::stable_partition(discovered.begin() + static_cast<std::ptrdiff_t>(first_new), discovered.end(),
                          [](const Task& t) { return t.directory; });
  }

  void hash(Task& task, unsigned char* buffer, Sha256& hash, std::deque<InventoryEntry>& found)
  {
    InventoryEntry entry;
    const int dir_fd = ::dirfd(task.parent.get());
    UniqueFd fd(::openat(dir_fd, task.name(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    struct stat info = {};
    if (!fd || ::fstat(fd.get(), &info) != 0) {
      int saved = errno;
      entry.error = saved == ELOOP ? "became a symbolic link while being inventoried" : std::strerror(saved);
      // Size and mode for the record even so.
      if (saved != ELOOP && ::fstatat(dir_fd, task.name(), &info, AT_SYMLINK_NOFOLLOW) == 0) {
        entry.size = static_cast<uint64_t>(info.st_size);
        entry.executable = (info.st_mode & 0111) != 0;
      }
    } else if (!S_ISREG(info.st_mode)) {
      entry.type = entry_type_from_mode(info.st_mode); // replaced while we looked: record what is there
    } else {
      entry.executable = (info.st_mode & 0111) != 0;
      HashJob job;
      hash_open_file(fd.get(), static_cast<uint64_t>(info.st_size), buffer, hash, m_progress, job);
      entry.sha256 = std::move(job.sha256);
      entry.size = job.error.empty() ? job.size : static_cast<uint64_t>(info.st_size);
      entry.error = std::move(job.error);
    }
    entry.path = std::move(task.path);
    m_progress.files.fetch_add(1, std::memory_order_relaxed);
    found.push_back(std::move(entry));
  }

private:
  fs::path m_root;
  UniqueFd m_root_fd;
  TaskQueue m_queue;
  ProgressLine& m_progress;
};

// A directory of a few small files and no subdirectories (a no-op plugin's outputs) is hashed
// on the calling thread: starting threads would cost more than the hashing. Two big files
// still go to two threads. Reads at most a few entries of a big directory.
bool is_small_flat_dir(const fs::path& root)
{
  constexpr int k_max_entries = 16;
  constexpr off_t k_max_bytes = off_t{4} << 20;
  DirHandle dir(::opendir(root.c_str()));
  if (!dir) {
    return false;
  }
  int count = 0;
  off_t bytes = 0;
  while (const dirent* item = ::readdir(dir.get())) {
    std::string_view name = item->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    struct stat info = {};
    if (item->d_type != DT_REG || ++count > k_max_entries ||
        ::fstatat(::dirfd(dir.get()), item->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0 ||
        (bytes += info.st_size) > k_max_bytes) {
      return false;
    }
  }
  return true;
}

} // namespace

std::vector<InventoryEntry> scan_inventory(const fs::path& root, const InventoryOptions& options)
{
  const unsigned workers =
      is_small_flat_dir(root) ? 1u : std::max(1u, options.workers != 0 ? options.workers : default_worker_count());
  ProgressLine progress(options.what, 0, 0, options.progress);
  Scanner scanner(root, workers, progress);
  std::vector<std::deque<InventoryEntry>> found(workers); // a deque grows without moving entries
  std::vector<std::vector<InventoryEntry>> sorted_parts(workers);
  std::vector<Task> start{{nullptr, "", 0, true}};
  scanner.queue().push(start);

  auto work = [&](size_t, unsigned worker) {
    auto buffer = std::make_unique_for_overwrite<unsigned char[]>(k_hash_buffer_size);
    Sha256 hash;
    std::vector<Task> taken;
    std::vector<Task> discovered;
    try {
      while (scanner.queue().pop(taken)) {
        if (progress.interrupted()) {
          throw Error("interrupted while hashing " + options.what, ExitCode::interrupted);
        }
        for (Task& task : taken) {
          if (task.directory) {
            scanner.list(task, found[worker], discovered);
            scanner.queue().push(discovered);
          } else {
            scanner.hash(task, buffer.get(), hash, found[worker]);
          }
        }
      }
    } catch (...) {
      scanner.queue().stop();
      throw;
    }
    sorted_parts[worker] = sorted_by_path(found[worker]); // in parallel: only a merge is left
  };
  if (workers == 1) {
    work(0, 0);
  } else {
    parallel_for(workers, workers, work, [&] { progress.tick(); });
  }

  std::vector<InventoryEntry> merged;
  for (auto& part : sorted_parts) {
    std::vector<InventoryEntry> next;
    next.reserve(merged.size() + part.size());
    std::merge(std::make_move_iterator(merged.begin()), std::make_move_iterator(merged.end()),
               std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()), std::back_inserter(next),
               [](const InventoryEntry& a, const InventoryEntry& b) { return a.path < b.path; });
    merged = std::move(next);
  }
  return merged;
}

} // namespace mdivicom
