// `mdivicom gc` for the dataset cache: what may go is decided under the stamp's lock.
#include "core/dataset/cache_gc.hpp"

#include "core/dataset/cache_names.hpp"
#include "core/util/error.hpp"
#include "core/util/tree_remove.hpp"
#include "core/util/tree_walk.hpp"
#include "core/util/utc_time.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <random>
#include <set>

#include <fcntl.h>
#include <stdio.h> // renameat2
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom {

namespace fs = std::filesystem;
using namespace dataset_cache_names;

namespace {

constexpr int64_t k_day = int64_t{24} * 60 * 60;

std::string random_suffix()
{
  static constexpr char k_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device device;
  std::string suffix;
  for (int i = 0; i < 6; ++i) {
    suffix += k_chars[device() % (sizeof(k_chars) - 1)];
  }
  return suffix;
}

int64_t now_seconds()
{
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string age_text(int64_t seconds)
{
  auto plural = [](int64_t count, const char* unit) {
    return std::to_string(count) + " " + unit + (count == 1 ? "" : "s");
  };
  if (seconds >= k_day) {
    return plural(seconds / k_day, "day");
  }
  if (seconds >= 3600) {
    return plural(seconds / 3600, "hour");
  }
  return plural(std::max<int64_t>(seconds / 60, 0), "minute");
}

// Bytes of the files under `dir`, each inode once; links are not followed.
uint64_t tree_bytes(const fs::path& dir)
{
  uint64_t bytes = 0;
  std::set<std::pair<uint64_t, uint64_t>> seen;
  try {
    for (const TreeEntry& entry : walk_tree(dir)) {
      if (entry.type == EntryType::file && !entry.is_link && seen.insert({entry.device, entry.inode}).second) {
        bytes += entry.size;
      }
    }
  } catch (const Error&) {
    // A size is informative only; the removal itself reports what it cannot do.
  }
  return bytes;
}

// What the cache directory holds for one archive digest.
struct EntryGroup
{
  std::optional<int64_t> dataset_mtime;                  // <sha256>/ is a real directory
  std::vector<std::pair<std::string, int64_t>> partials; // name, mtime
};

// The stamp's lock, taken exclusively without waiting: `busy` while a live process holds it.
struct StampLock
{
  enum class State { free, busy, replaced } state = State::free;
  UniqueFd fd;
  bool created = false; // by this gc (so its mtime says nothing about use)
  int64_t mtime = 0;
};

StampLock lock_stamp(int dir_fd, const fs::path& dir, const std::string& sha256, bool dry_run)
{
  StampLock lock;
  const std::string name = stamp_name(sha256);
  if (dry_run) {
    // No stamp means no holder: holders create it before anything else. A dry run creates nothing.
    lock.fd = UniqueFd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!lock.fd && errno == ENOENT) {
      return lock;
    }
  } else {
    // Created when missing, so that a run starting meanwhile waits for us instead of racing.
    lock.fd = UniqueFd(::openat(dir_fd, name.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    lock.created = static_cast<bool>(lock.fd);
    if (!lock.fd && errno == EEXIST) {
      lock.fd = UniqueFd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    }
  }
  if (!lock.fd) {
    throw Error("cannot open " + (dir / name).string() + ": " + std::strerror(errno) +
                "; it must be a regular file of yours (remove it if it is not)");
  }
  if (::flock(lock.fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      throw Error("cannot lock " + (dir / name).string() + ": " + std::strerror(errno));
    }
    lock.state = StampLock::State::busy;
    return lock;
  }
  struct stat held = {};
  struct stat now = {};
  if (::fstat(lock.fd.get(), &held) != 0) {
    throw Error("cannot read " + (dir / name).string() + ": " + std::strerror(errno));
  }
  lock.mtime = held.st_mtim.tv_sec;
  // Another gc may have removed the stamp between our open and our lock.
  if (::fstatat(dir_fd, name.c_str(), &now, AT_SYMLINK_NOFOLLOW) != 0 || now.st_dev != held.st_dev ||
      now.st_ino != held.st_ino) {
    lock.state = StampLock::State::replaced;
  }
  return lock;
}

class CacheCollector
{
public:
  CacheCollector(int dir_fd, DatasetCacheGcReport& report) : m_dir_fd(dir_fd), m_report(report) {}

  // Removes (or in a dry run only measures) `name`; false when it could not be removed.
  bool remove(DatasetCacheItem item)
  {
    const fs::path path = m_report.dir / item.name;
    try {
      item.bytes = m_report.options.dry_run ? tree_bytes(path) : remove_tree_at(m_dir_fd, item.name, path);
    } catch (const Error& e) {
      m_report.errors.emplace_back(e.what());
      return false;
    }
    m_report.removed.push_back(std::move(item));
    return true;
  }

  void keep(DatasetCacheItem item)
  {
    item.bytes = tree_bytes(m_report.dir / item.name);
    m_report.kept.push_back(std::move(item));
  }

  // An extracted dataset goes by first renaming it to a partial name: a removal that fails
  // halfway leaves an interrupted "extraction" for the next gc, never a damaged dataset
  // that a run would use.
  bool remove_dataset(DatasetCacheItem item, const std::string& sha256)
  {
    if (m_report.options.dry_run) {
      return remove(std::move(item));
    }
    const std::string doomed = std::string(k_partial_prefix) + sha256 + "-gc" + random_suffix();
    if (::renameat2(m_dir_fd, item.name.c_str(), m_dir_fd, doomed.c_str(), RENAME_NOREPLACE) != 0 &&
        (errno != EINVAL || ::renameat(m_dir_fd, item.name.c_str(), m_dir_fd, doomed.c_str()) != 0)) {
      m_report.errors.push_back("cannot remove " + (m_report.dir / item.name).string() + ": " + std::strerror(errno));
      return false;
    }
    const fs::path path = m_report.dir / doomed;
    try {
      item.bytes = remove_tree_at(m_dir_fd, doomed, path);
    } catch (const Error& e) {
      m_report.errors.emplace_back(e.what());
    }
    m_report.removed.push_back(std::move(item));
    return true;
  }

private:
  int m_dir_fd;
  DatasetCacheGcReport& m_report;
};

} // namespace

uint64_t DatasetCacheGcReport::removed_bytes() const
{
  uint64_t bytes = 0;
  for (const auto& item : removed) {
    bytes += item.bytes;
  }
  return bytes;
}

nlohmann::json DatasetCacheGcReport::to_json() const
{
  auto items = [](const std::vector<DatasetCacheItem>& list) {
    nlohmann::json result = nlohmann::json::array();
    for (const auto& item : list) {
      result.push_back(
          {{"kind", item.kind},
           {"name", item.name},
           {"bytes", item.bytes},
           {"last_used", item.last_used > 0 ? nlohmann::json(format_utc(item.last_used * 1'000'000, UtcFormat::seconds))
                                            : nlohmann::json()},
           {"reason", item.reason}});
    }
    return result;
  };
  return {{"dir", dir.string()},
          {"older_than_days", options.older_than_days},
          {options.dry_run ? "found" : "removed", items(removed)},
          {"kept", items(kept)},
          {"errors", errors}};
}

DatasetCacheGcReport gc_dataset_cache(const fs::path& cache_root, const DatasetCacheGcOptions& options)
{
  DatasetCacheGcReport report;
  report.dir = cache_root / "datasets";
  report.options = options;
  std::error_code missing;
  if (!fs::exists(fs::symlink_status(report.dir, missing))) {
    return report;
  }
  UniqueFd dir_fd;
  std::map<std::string, EntryGroup> groups;
  std::vector<std::pair<std::string, int64_t>> unlocked_partials; // made by mdivicom before stamps
  try {
    dir_fd = open_root_dir(report.dir);
    for (std::string& name : list_names_at(dir_fd.get(), report.dir)) {
      struct stat info = {};
      if (::fstatat(dir_fd.get(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
        continue;
      }
      const int64_t mtime = info.st_mtim.tv_sec;
      if (is_sha256_name(name)) {
        if (S_ISDIR(info.st_mode)) {
          groups[name].dataset_mtime = mtime;
        } else {
          report.kept.push_back({"other", name, 0, 0, "not a directory mdivicom made (a link or a file); left alone"});
        }
      } else if (name.ends_with(".used") && is_sha256_name(std::string_view(name).substr(0, name.size() - 5))) {
        groups[name.substr(0, 64)]; // a stamp alone is removed with its lock held
      } else if (name.starts_with(k_partial_prefix) && S_ISDIR(info.st_mode)) {
        std::string sha256 = partial_sha256(name);
        (sha256.empty() ? unlocked_partials : groups[sha256].partials).emplace_back(std::move(name), mtime);
      }
    }
  } catch (const Error& e) {
    report.errors.emplace_back(e.what());
    return report;
  }

  const int64_t now = now_seconds();
  const int64_t max_age = static_cast<int64_t>(options.older_than_days) * k_day;
  CacheCollector collector(dir_fd.get(), report);
  for (auto& [sha256, group] : groups) {
    StampLock lock;
    try {
      lock = lock_stamp(dir_fd.get(), report.dir, sha256, options.dry_run);
    } catch (const Error& e) {
      report.errors.emplace_back(e.what());
      continue;
    }
    if (lock.state == StampLock::State::replaced) {
      continue; // another gc is at it
    }
    const bool busy = lock.state == StampLock::State::busy;
    // What the listing saw may have changed before the lock was ours: an extraction may have
    // completed since.
    struct stat info = {};
    group.dataset_mtime.reset();
    if (::fstatat(dir_fd.get(), sha256.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(info.st_mode)) {
      group.dataset_mtime = info.st_mtim.tv_sec;
    }
    for (auto& [name, mtime] : group.partials) {
      if (busy) {
        collector.keep({"partial", name, 0, mtime, "being extracted by a running mdivicom"});
      } else {
        collector.remove({"partial", name, 0, mtime, "an interrupted extraction: no running mdivicom holds it"});
      }
    }
    bool dataset_left = false;
    if (group.dataset_mtime) {
      const int64_t last_used = std::max(*group.dataset_mtime, lock.created ? 0 : lock.mtime);
      const int64_t age = now - last_used;
      if (busy) {
        collector.keep({"dataset", sha256, 0, last_used, "in use by a running mdivicom"});
        dataset_left = true;
      } else if (age >= max_age || max_age == 0) {
        dataset_left =
            !collector.remove_dataset({"dataset", sha256, 0, last_used, "unused for " + age_text(age)}, sha256);
      } else {
        collector.keep({"dataset", sha256, 0, last_used, "last used " + age_text(age) + " ago"});
        dataset_left = true;
      }
    }
    if (options.dry_run || busy) {
      continue;
    }
    if (!dataset_left) {
      ::unlinkat(dir_fd.get(), stamp_name(sha256).c_str(), 0); // still locked: nobody is using it
    } else if (lock.created) {
      // Our own new stamp must not count as a use.
      const timespec times[2] = {{*group.dataset_mtime, 0}, {*group.dataset_mtime, 0}};
      ::futimens(lock.fd.get(), times);
    }
  }

  // Without a stamp there is no lock to ask: such a directory goes once untouched for a day.
  for (auto& [name, mtime] : unlocked_partials) {
    if (now - mtime >= k_day) {
      collector.remove(
          {"partial", name, 0, mtime, "an interrupted extraction, untouched for " + age_text(now - mtime)});
    } else {
      collector.keep({"partial", name, 0, mtime, "an extraction without a lock, left alone until untouched for a day"});
    }
  }
  auto by_name = [](const DatasetCacheItem& a, const DatasetCacheItem& b) { return a.name < b.name; };
  std::sort(report.removed.begin(), report.removed.end(), by_name);
  std::sort(report.kept.begin(), report.kept.end(), by_name);
  return report;
}

} // namespace mdivicom
