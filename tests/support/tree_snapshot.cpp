#include "support/tree_snapshot.hpp"

#include "core/hash/sha256.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string_view>
#include <vector>

namespace mdivicom::test {

namespace fs = std::filesystem;

namespace {

std::string nanoseconds(const timespec& time)
{
  return std::to_string(time.tv_sec) + "." + std::to_string(time.tv_nsec);
}

std::string content_hash(const fs::path& path)
{
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
  if (fd < 0) {
    fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) {
    return "unreadable";
  }
  Sha256 hash;
  char buffer[65536];
  ssize_t got = 0;
  while ((got = ::read(fd, buffer, sizeof buffer)) > 0) {
    hash.update(buffer, static_cast<size_t>(got));
  }
  ::close(fd);
  return got < 0 ? "unreadable" : hash.hex_digest();
}

std::string xattrs(const fs::path& path)
{
  std::vector<char> names(65536);
  ssize_t size = ::llistxattr(path.c_str(), names.data(), names.size());
  std::set<std::string> sorted;
  for (ssize_t at = 0; size > 0 && at < size; at += static_cast<ssize_t>(std::string_view(&names[at]).size()) + 1) {
    sorted.insert(&names[at]);
  }
  std::string text;
  for (const auto& name : sorted) {
    std::vector<char> value(65536);
    ssize_t got = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    text += " " + name + "=" + (got < 0 ? "?" : std::string(value.data(), static_cast<size_t>(got)));
  }
  return text;
}

std::string describe(const fs::path& path, bool contents_only, bool with_atime)
{
  struct stat info = {};
  if (::lstat(path.c_str(), &info) != 0) {
    return "vanished";
  }
  std::string type = S_ISREG(info.st_mode)    ? "file"
                     : S_ISDIR(info.st_mode)  ? "dir"
                     : S_ISLNK(info.st_mode)  ? "link"
                     : S_ISFIFO(info.st_mode) ? "fifo"
                     : S_ISSOCK(info.st_mode) ? "socket"
                                              : "device";
  std::string line = type + " mode " + std::to_string(info.st_mode & 07777) + " owner " + std::to_string(info.st_uid) +
                     ":" + std::to_string(info.st_gid);
  if (contents_only) {
    return line + xattrs(path);
  }
  line += " size " + std::to_string(info.st_size) + " links " + std::to_string(info.st_nlink) + " mtime " +
          nanoseconds(info.st_mtim) + " ctime " + nanoseconds(info.st_ctim);
  if (with_atime && S_ISREG(info.st_mode)) {
    line += " atime " + nanoseconds(info.st_atim);
  }
  if (S_ISREG(info.st_mode)) {
    line += " sha256 " + content_hash(path);
  } else if (S_ISLNK(info.st_mode)) {
    std::error_code error;
    line += " -> " + fs::read_symlink(path, error).string();
  } else if (!S_ISDIR(info.st_mode)) {
    line += " rdev " + std::to_string(info.st_rdev);
  }
  return line + xattrs(path);
}

bool below_any(const fs::path& relative, const std::set<std::string>& tops)
{
  for (fs::path at = relative; !at.empty() && at != "."; at = at.parent_path()) {
    if (tops.count(at.string()) != 0) {
      return true;
    }
  }
  return false;
}

void walk(const fs::path& root, const fs::path& relative, const SnapshotOptions& options, TreeSnapshot& snapshot)
{
  const fs::path path = relative == "." ? root : root / relative;
  snapshot[relative.string()] =
      describe(path, options.contents_only.count(relative.string()) != 0, below_any(relative, options.with_atime));
  std::error_code error;
  if (!fs::is_directory(fs::symlink_status(path, error))) {
    return;
  }
  for (const auto& entry : fs::directory_iterator(path, error)) {
    fs::path child = relative == "." ? entry.path().filename() : relative / entry.path().filename();
    if (options.skipped.count(child.string()) == 0) {
      walk(root, child, options, snapshot);
    }
  }
  if (error) {
    snapshot[relative.string()] += " unlistable";
  }
}

} // namespace

TreeSnapshot snapshot_tree(const fs::path& root, const SnapshotOptions& options)
{
  TreeSnapshot snapshot;
  walk(root, ".", options, snapshot);
  return snapshot;
}

std::string snapshot_difference(const TreeSnapshot& before, const TreeSnapshot& after)
{
  std::string text;
  for (const auto& [path, line] : before) {
    auto found = after.find(path);
    if (found == after.end()) {
      text += "removed: " + path + " (" + line + ")\n";
    } else if (found->second != line) {
      text += "changed: " + path + "\n  before: " + line + "\n  after:  " + found->second + "\n";
    }
  }
  for (const auto& [path, line] : after) {
    if (before.count(path) == 0) {
      text += "added: " + path + " (" + line + ")\n";
    }
  }
  return text;
}

} // namespace mdivicom::test
