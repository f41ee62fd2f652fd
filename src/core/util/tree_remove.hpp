#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mdivicom {

// Removes `name` in the directory `parent_fd` and everything below it without ever following a
// symbolic link: links are removed themselves, and each directory is opened O_NOFOLLOW relative
// to its parent, so a link swapped in while removing cannot redirect the removal elsewhere.
// Read-only directories (extracted datasets) are made writable first, through their own fd.
// Holds two descriptors at most, whatever the depth. Returns the bytes of the regular files
// whose last link went (what the removal frees). A missing `name` is not an error. Throws
// Error naming `shown` (the path for messages) when something cannot be removed.
uint64_t remove_tree_at(int parent_fd, const std::string& name, const std::filesystem::path& shown);

// The names in the directory `dir_fd` (without "." and ".."), in no particular order. Throws
// Error naming `shown` when it cannot be listed.
std::vector<std::string> list_names_at(int dir_fd, const std::filesystem::path& shown);

} // namespace mdivicom
