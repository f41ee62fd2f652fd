#pragma once

// Everything of a directory tree that a run could change, to compare before and after.

#include <filesystem>
#include <map>
#include <set>
#include <string>

namespace mdivicom::test {

// Relative path ("." for the root) -> one line: type, mode, uid:gid, size, links, mtime and
// ctime in ns, content hash (files, read with O_NOATIME), link target (symlinks), xattrs with
// their values.
using TreeSnapshot = std::map<std::string, std::string>;

struct SnapshotOptions
{
  std::set<std::string> skipped;       // relative paths left out with everything below them
  std::set<std::string> contents_only; // dirs a run may add to: their own entry is type, mode, owner, xattrs
  std::set<std::string> with_atime;    // files below these also record their access time (was it read?)
};

// Never follows a link; a path that vanishes while it is read is recorded as such.
TreeSnapshot snapshot_tree(const std::filesystem::path& root, const SnapshotOptions& options = {});

// The paths that differ, one line each ("changed: ...", "added: ...", "removed: ..."), or "".
std::string snapshot_difference(const TreeSnapshot& before, const TreeSnapshot& after);

} // namespace mdivicom::test
