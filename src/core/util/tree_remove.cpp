#include "core/util/tree_remove.hpp"
#include "core/util/dir_handle.hpp"

#include "core/util/error.hpp"
#include "core/util/unique_fd.hpp"

#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

// One directory on the way down: how to recognize it again from its child's ".." and the
// subdirectories still to remove.
struct Level
{
  std::string name; // in its parent
  fs::path shown;
  dev_t device = 0;
  ino_t inode = 0;
  std::vector<std::string> subdirectories;
};

[[noreturn]] void fail(const fs::path& shown, int error)
{
  throw Error("cannot remove " + shown.string() + ": " + std::strerror(error) +
              "; check its permissions and remove it by hand");
}

// Opens a directory for removal, never through a link; -1 (errno set) when it is not one.
UniqueFd open_directory(int parent_fd, const std::string& name)
{
  return UniqueFd(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

// Unlinks everything in `dir_fd` that is not a directory; returns the subdirectories' names.
std::vector<std::string> remove_non_directories(int dir_fd, const fs::path& shown, uint64_t& freed)
{
  // Owner rwx, so that entries of an extracted (read-only) directory can go. fchmod never follows.
  if (::fchmod(dir_fd, S_IRWXU) != 0) {
    fail(shown, errno);
  }
  std::vector<std::string> subdirectories;
  for (const std::string& name : list_names_at(dir_fd, shown)) {
    struct stat info = {};
    if (::fstatat(dir_fd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) {
        continue;
      }
      fail(shown / name, errno);
    }
    if (S_ISDIR(info.st_mode)) {
      subdirectories.push_back(name);
      continue;
    }
    if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
      fail(shown / name, errno);
    }
    if (S_ISREG(info.st_mode) && info.st_nlink == 1) {
      freed += static_cast<uint64_t>(info.st_size);
    }
  }
  return subdirectories;
}

} // namespace

std::vector<std::string> list_names_at(int dir_fd, const fs::path& shown)
{
  int listing_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  DirHandle listing(listing_fd >= 0 ? ::fdopendir(listing_fd) : nullptr);
  if (!listing) {
    int saved = errno;
    if (listing_fd >= 0) {
      ::close(listing_fd);
    }
    throw Error("cannot list " + shown.string() + ": " + std::strerror(saved));
  }
  // A dup shares its offset with dir_fd: start at the beginning whatever was read before.
  ::rewinddir(listing.get());
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* item = ::readdir(listing.get())) {
    std::string name = item->d_name;
    if (name != "." && name != "..") {
      names.push_back(std::move(name));
    }
    errno = 0;
  }
  if (errno != 0) {
    throw Error("cannot list " + shown.string() + ": " + std::strerror(errno));
  }
  return names;
}

uint64_t remove_tree_at(int parent_fd, const std::string& name, const fs::path& shown)
{
  uint64_t freed = 0;
  UniqueFd current = open_directory(parent_fd, name);
  if (!current) {
    if (errno == ENOENT) {
      return 0;
    }
    if (errno != ENOTDIR && errno != ELOOP) {
      fail(shown, errno);
    }
    // A file or a link: removed itself, never what a link points to.
    struct stat info = {};
    bool counted = ::fstatat(parent_fd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(info.st_mode) &&
                   info.st_nlink == 1;
    if (::unlinkat(parent_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
      fail(shown, errno);
    }
    return counted ? static_cast<uint64_t>(info.st_size) : 0;
  }

  std::vector<Level> levels;
  auto enter = [&](UniqueFd fd, const std::string& entry_name, const fs::path& entry_shown) {
    struct stat info = {};
    if (::fstat(fd.get(), &info) != 0) {
      fail(entry_shown, errno);
    }
    std::vector<std::string> subdirectories = remove_non_directories(fd.get(), entry_shown, freed);
    levels.push_back({entry_name, entry_shown, info.st_dev, info.st_ino, std::move(subdirectories)});
    current = std::move(fd);
  };
  enter(std::exchange(current, UniqueFd()), name, shown);

  while (!levels.empty()) {
    if (!levels.back().subdirectories.empty()) {
      std::string child = std::move(levels.back().subdirectories.back());
      levels.back().subdirectories.pop_back();
      fs::path child_shown = levels.back().shown / child;
      UniqueFd fd = open_directory(current.get(), child);
      if (fd) {
        enter(std::move(fd), child, child_shown);
        continue;
      }
      if (errno == ENOENT) {
        continue;
      }
      if (errno != ENOTDIR && errno != ELOOP) {
        fail(child_shown, errno);
      }
      // Replaced by a file or a link since it was listed: remove that, never what it points to.
      if (::unlinkat(current.get(), child.c_str(), 0) != 0 && errno != ENOENT) {
        fail(child_shown, errno);
      }
      continue;
    }
    // This directory is empty now: go back up (one descriptor at a time) and remove it.
    const std::string done = levels.back().name;
    const fs::path done_shown = levels.back().shown;
    levels.pop_back();
    if (levels.empty()) {
      current.reset();
      if (::unlinkat(parent_fd, done.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
        fail(done_shown, errno);
      }
      break;
    }
    UniqueFd parent(::openat(current.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    struct stat info = {};
    if (!parent || ::fstat(parent.get(), &info) != 0) {
      fail(levels.back().shown, errno);
    }
    if (info.st_dev != levels.back().device || info.st_ino != levels.back().inode) {
      throw Error("cannot remove " + levels.back().shown.string() +
                  ": it was moved while being removed; remove it by hand");
    }
    current = std::move(parent);
    if (::unlinkat(current.get(), done.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
      fail(done_shown, errno);
    }
  }
  return freed;
}

} // namespace mdivicom
