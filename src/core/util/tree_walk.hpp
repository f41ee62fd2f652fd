#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/unique_fd.hpp"

namespace mdivicom {

enum class EntryType { file, directory, symlink, fifo, socket, char_device, block_device, unknown };
std::string_view to_string(EntryType type);
EntryType entry_type_from_mode(uint32_t mode);

// One thing found under a walked root.
struct TreeEntry
{
  std::string path;                    // relative to the root, '/'-separated, raw bytes from the file system
  EntryType type = EntryType::unknown; // with follow_symlinks: the type of the link's target
  bool is_link = false;                // the entry itself is a symbolic link (link_target holds its text)
  std::string link_target;
  uint64_t size = 0;
  uint32_t mode = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint64_t device = 0;
  uint64_t inode = 0;
  std::string error; // why the entry could not be examined or descended; empty when fine
};

struct WalkOptions
{
  // Dataset mode: stat through symbolic links and descend into linked directories (a link
  // back to one of its own ancestors is reported as an error instead of looping).
  bool follow_symlinks = false;
  // Directory names never descended into, anywhere in the tree (e.g. ".git").
  std::vector<std::string> excluded_dir_names;
};

// Everything under `root` except the root itself, sorted by path (byte order), directories
// included. Never follows a link unless asked; an entry that cannot be examined is returned
// with `error` set rather than skipped. Throws Error when the root itself cannot be opened.
std::vector<TreeEntry> walk_tree(const std::filesystem::path& root, const WalkOptions& options = {});

// Opens the root directory of a walk (follows a link at the root itself, which the user named).
UniqueFd open_root_dir(const std::filesystem::path& root);

// Opens `relative` below the directory `root_fd` for reading. Unless follow_symlinks, no
// component may be a symbolic link and the path may not leave the root (openat2
// RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS where the kernel has it). Returns -1 with errno set.
int open_below(int root_fd, const std::string& relative, bool follow_symlinks, int flags);

// The text of the symbolic link `name` in `dir_fd`, or "" when it cannot be read.
std::string read_link_at(int dir_fd, const char* name);

// True when a symbolic link at `link_path` (relative to a root) with text `target` provably
// resolves inside the root: the target is relative, its ".." components all come first (so a
// link to a link cannot climb through a "dir/.." trick), and they climb no higher than the
// link's own directory. Anything else counts as leaving the root.
bool link_stays_inside(std::string_view link_path, std::string_view target);

} // namespace mdivicom
