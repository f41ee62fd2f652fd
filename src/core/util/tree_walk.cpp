#include "core/util/tree_walk.hpp"
#include "core/util/dir_handle.hpp"

#include "core/util/error.hpp"
#include "core/util/file_identity.hpp"
#include "core/util/sorted_by_path.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mdivicom {

namespace fs = std::filesystem;

std::string_view to_string(EntryType type)
{
  switch (type) {
  case EntryType::file: return "file";
  case EntryType::directory: return "directory";
  case EntryType::symlink: return "symlink";
  case EntryType::fifo: return "fifo";
  case EntryType::socket: return "socket";
  case EntryType::char_device: return "char_device";
  case EntryType::block_device: return "block_device";
  case EntryType::unknown: break;
  }
  return "unknown";
}

EntryType entry_type_from_mode(uint32_t mode)
{
  switch (mode & S_IFMT) {
  case S_IFREG: return EntryType::file;
  case S_IFDIR: return EntryType::directory;
  case S_IFLNK: return EntryType::symlink;
  case S_IFIFO: return EntryType::fifo;
  case S_IFSOCK: return EntryType::socket;
  case S_IFCHR: return EntryType::char_device;
  case S_IFBLK: return EntryType::block_device;
  default: return EntryType::unknown;
  }
}

namespace {

void fill_from_stat(TreeEntry& entry, const struct stat& info)
{
  entry.type = entry_type_from_mode(info.st_mode);
  entry.size =
      entry.type == EntryType::file || entry.type == EntryType::symlink ? static_cast<uint64_t>(info.st_size) : 0;
  entry.mode = info.st_mode & 07777;
  entry.mtime_ns = timestamp_ns(info.st_mtim);
  entry.ctime_ns = timestamp_ns(info.st_ctim);
  entry.device = info.st_dev;
  entry.inode = info.st_ino;
}

int open_by_components(int root_fd, const std::string& relative, int flags)
{
  UniqueFd current;
  int dir_fd = root_fd;
  size_t start = 0;
  while (true) {
    size_t slash = relative.find('/', start);
    std::string part = relative.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") {
      errno = EXDEV;
      return -1;
    }
    if (slash == std::string::npos) {
      return ::openat(dir_fd, part.c_str(), flags | O_NOFOLLOW);
    }
    if (!part.empty() && part != ".") {
      current.reset(::openat(dir_fd, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!current) {
        return -1;
      }
      dir_fd = current.get();
    }
    start = slash + 1;
  }
}

struct DirNode
{
  std::string path;
  uint64_t device = 0;
  uint64_t inode = 0;
  size_t parent = 0;
  size_t entry_index = 0; // its TreeEntry in the result; unused for the root
};

constexpr size_t k_no_entry = static_cast<size_t>(-1);

// In follow mode a linked directory may lead back to an ancestor: name it instead of looping.
std::string loop_error(const std::vector<DirNode>& nodes, size_t node, uint64_t device, uint64_t inode)
{
  for (size_t at = node;; at = nodes[at].parent) {
    if (nodes[at].device == device && nodes[at].inode == inode) {
      return "link loop: leads back to " + (nodes[at].path.empty() ? std::string(".") : nodes[at].path);
    }
    if (at == 0) {
      return {};
    }
  }
}

} // namespace

int open_below(int root_fd, const std::string& relative, bool follow_symlinks, int flags)
{
  flags |= O_CLOEXEC;
  if (follow_symlinks) {
    return ::openat(root_fd, relative.c_str(), flags);
  }
  static std::atomic<bool> s_have_openat2{true};
  if (s_have_openat2) {
    struct open_how how = {};
    how.flags = static_cast<uint64_t>(flags);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof(how));
    // Old kernels say ENOSYS; container seccomp profiles may say EPERM.
    if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) {
      return static_cast<int>(fd);
    }
    s_have_openat2 = false;
  }
  return open_by_components(root_fd, relative, flags);
}

bool link_stays_inside(std::string_view link_path, std::string_view target)
{
  if (target.empty() || target.front() == '/') {
    return false;
  }
  // Depth of the directory holding the link.
  long depth = 0;
  for (size_t start = 0, slash; (slash = link_path.find('/', start)) != std::string_view::npos; start = slash + 1) {
    std::string_view part = link_path.substr(start, slash - start);
    if (part == "..") {
      return false;
    }
    if (!part.empty() && part != ".") {
      ++depth;
    }
  }
  long climbs = 0;
  bool descended = false;
  size_t start = 0;
  while (start <= target.size()) {
    size_t slash = target.find('/', start);
    std::string_view part =
        target.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part == "..") {
      if (descended) {
        return false;
      }
      ++climbs;
    } else if (!part.empty() && part != ".") {
      descended = true;
    }
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  return climbs <= depth;
}

std::string read_link_at(int dir_fd, const char* name)
{
  std::string target(256, '\0');
  while (true) {
    ssize_t length = ::readlinkat(dir_fd, name, target.data(), target.size());
    if (length < 0) {
      return {};
    }
    if (static_cast<size_t>(length) < target.size()) {
      target.resize(static_cast<size_t>(length));
      return target;
    }
    target.resize(target.size() * 2);
  }
}

UniqueFd open_root_dir(const fs::path& root)
{
  UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    int saved = errno;
    std::string fix = saved == ENOENT    ? "check the path"
                      : saved == ENOTDIR ? "give a directory"
                                         : "check its permissions";
    throw Error("cannot open directory " + root.string() + ": " + std::strerror(saved) + "; " + fix, ExitCode::usage);
  }
  return fd;
}

std::vector<TreeEntry> walk_tree(const fs::path& root, const WalkOptions& options)
{
  UniqueFd root_fd = open_root_dir(root);
  std::error_code canonical_error;
  const fs::path real_root = fs::canonical(root, canonical_error);
  struct stat root_info = {};
  if (::fstat(root_fd.get(), &root_info) != 0) {
    throw Error("cannot examine " + root.string() + ": " + std::strerror(errno));
  }
  std::vector<TreeEntry> entries;
  std::vector<DirNode> nodes{{"", root_info.st_dev, root_info.st_ino, 0, k_no_entry}};
  std::vector<size_t> pending{0};
  std::vector<std::string> names;

  while (!pending.empty()) {
    const size_t node_index = pending.back();
    pending.pop_back();
    const std::string dir_path = nodes[node_index].path;
    const size_t dir_entry = nodes[node_index].entry_index;

    int fd = dir_path.empty() ? ::dup(root_fd.get())
                              : open_below(root_fd.get(), dir_path, options.follow_symlinks, O_RDONLY | O_DIRECTORY);
    DirHandle dir(fd >= 0 ? ::fdopendir(fd) : nullptr);
    if (!dir) {
      int saved = errno;
      if (fd >= 0) {
        ::close(fd);
      }
      if (dir_entry == k_no_entry) {
        throw Error("cannot list " + root.string() + ": " + std::strerror(saved));
      }
      entries[dir_entry].error = std::string("cannot open directory: ") + std::strerror(saved);
      continue;
    }
    names.clear();
    errno = 0;
    while (const dirent* item = ::readdir(dir.get())) {
      std::string_view name = item->d_name;
      if (name != "." && name != "..") {
        names.emplace_back(name);
      }
      errno = 0;
    }
    if (errno != 0 && dir_entry != k_no_entry) {
      entries[dir_entry].error = std::string("cannot list directory: ") + std::strerror(errno);
    }

    for (const std::string& name : names) {
      TreeEntry entry;
      entry.path = dir_path;
      if (!dir_path.empty()) {
        entry.path += '/';
      }
      entry.path += name;
      struct stat info = {};
      if (::fstatat(::dirfd(dir.get()), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
        entry.error = std::string("cannot examine: ") + std::strerror(errno);
        entries.push_back(std::move(entry));
        continue;
      }
      fill_from_stat(entry, info);
      if (entry.type == EntryType::symlink) {
        entry.is_link = true;
        entry.link_target = read_link_at(::dirfd(dir.get()), name.c_str());
        if (options.follow_symlinks) {
          struct stat target = {};
          if (::fstatat(::dirfd(dir.get()), name.c_str(), &target, 0) == 0) {
            fill_from_stat(entry, target);
          } else {
            entry.error = std::string("dangling link: ") + std::strerror(errno);
          }
        }
      }
      if (entry.type == EntryType::directory) {
        const auto& excluded = options.excluded_dir_names;
        if (std::find(excluded.begin(), excluded.end(), name) != excluded.end()) {
          continue;
        }
        if (entry.is_link) {
          entry.error = loop_error(nodes, node_index, entry.device, entry.inode);
          // A linked file is read wherever it lives (git-annex keeps content elsewhere), but a
          // linked directory outside the root could be the whole file system.
          std::error_code error;
          fs::path real = fs::canonical(root / entry.path, error);
          auto [end, ignored] = std::mismatch(real_root.begin(), real_root.end(), real.begin(), real.end());
          if (entry.error.empty() && (error || end != real_root.end())) {
            entry.error = "links to a directory outside the dataset (" + entry.link_target + "); not followed";
          }
        }
        if (entry.error.empty()) {
          nodes.push_back({entry.path, entry.device, entry.inode, node_index, entries.size()});
          pending.push_back(nodes.size() - 1);
        }
      }
      entries.push_back(std::move(entry));
    }
  }
  return sorted_by_path(entries);
}

} // namespace mdivicom
