#include "core/dataset/cache.hpp"

#include "core/dataset/cache_names.hpp"
#include "core/util/error.hpp"
#include "core/util/unique_fd.hpp"

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom {

namespace fs = std::filesystem;
using namespace dataset_cache_names;

namespace {

// This process's leases: one open stamp per entry, shared-locked until the process exits.
struct Leases
{
  std::mutex mutex;
  std::map<fs::path, UniqueFd> held;

  static Leases& instance()
  {
    static Leases leases;
    return leases;
  }
};

bool is_file_at(int fd, const fs::path& path)
{
  struct stat held = {};
  struct stat now = {};
  return ::fstat(fd, &held) == 0 && ::lstat(path.c_str(), &now) == 0 && held.st_dev == now.st_dev &&
         held.st_ino == now.st_ino;
}

} // namespace

void hold_dataset_lease(const fs::path& datasets, const std::string& sha256)
{
  const fs::path stamp = datasets / stamp_name(sha256);
  Leases& leases = Leases::instance();
  std::lock_guard guard(leases.mutex);
  if (auto it = leases.held.find(stamp); it != leases.held.end() && is_file_at(it->second.get(), stamp)) {
    ::futimens(it->second.get(), nullptr);
    return;
  }
  for (int attempt = 0; attempt < 100; ++attempt) {
    UniqueFd fd(::open(stamp.c_str(), O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd) {
      throw Error("cannot create " + stamp.string() + ": " + std::strerror(errno) + "; check the permissions of " +
                  datasets.string() + " or set XDG_CACHE_HOME");
    }
    int locked = ::flock(fd.get(), LOCK_SH | LOCK_NB);
    if (locked != 0 && errno == EWOULDBLOCK) {
      spdlog::info("waiting for mdivicom gc to finish with the cached dataset {}", sha256.substr(0, 16));
      while ((locked = ::flock(fd.get(), LOCK_SH)) != 0 && errno == EINTR) {
      }
    }
    if (locked != 0) {
      // A file system without locks must not stop runs; gc, unable to lock either, skips the entry.
      spdlog::warn("cannot lock {}: {}; mdivicom gc cannot see that this run uses the dataset", stamp.string(),
                   std::strerror(errno));
    }
    if (is_file_at(fd.get(), stamp)) { // else gc removed this stamp while we waited: take the new one
      ::futimens(fd.get(), nullptr);
      leases.held[stamp] = std::move(fd);
      return;
    }
  }
  throw Error("cannot lock " + stamp.string() + ": it keeps being replaced; is another mdivicom gc looping?");
}

void drop_dataset_lease(const fs::path& datasets, const std::string& sha256)
{
  const fs::path stamp = datasets / stamp_name(sha256);
  Leases& leases = Leases::instance();
  std::lock_guard guard(leases.mutex);
  auto it = leases.held.find(stamp);
  if (it == leases.held.end()) {
    return;
  }
  UniqueFd fd = std::move(it->second); // closed (so unlocked) on return
  leases.held.erase(it);
  std::error_code error;
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0 && !fs::exists(fs::symlink_status(datasets / sha256, error)) &&
      is_file_at(fd.get(), stamp)) {
    ::unlink(stamp.c_str());
  }
}

fs::path make_partial_dir(const fs::path& datasets, const std::string& sha256)
{
  std::string pattern = (datasets / (std::string(k_partial_prefix) + sha256 + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw Error("cannot create a directory in " + datasets.string() + ": " + std::strerror(errno) +
                "; check its permissions or set XDG_CACHE_HOME");
  }
  return pattern;
}

} // namespace mdivicom
