#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mdivicom {

// synced: on disk before the call returns (fsync before the rename), for what a user must be
// able to trust after a crash (a run's final record). atomic: readers and a crash see the old
// or the new content, never a torn file, but the new content may be lost to a crash; for
// what is rewritten or rebuilt anyway (a running record, caches, the RO-Crate). Each fsync
// costs milliseconds, more on a busy disk.
enum class Durability { synced, atomic };

// A name for a temporary file beside `path` (in its directory, so that a rename replaces `path`
// atomically), unique to this process and call: <path>.tmp-<pid>-<random>.
std::filesystem::path temp_path_beside(const std::filesystem::path& path);

// Writes via a temporary file in the same directory and rename(). Throws Error naming the path.
void write_file_atomic(const std::filesystem::path& path, std::string_view content,
                       Durability durability = Durability::synced);

// Reads a whole regular file; throws Error naming the path. Refuses files larger than max_bytes
// and anything that is not a regular file (a FIFO, a directory).
std::string read_file(const std::filesystem::path& path, std::uintmax_t max_bytes = std::uintmax_t{64} << 20);

// The same, from a file already open (read from its start); `path` only names it in errors.
std::string read_open_file(int fd, const std::filesystem::path& path,
                           std::uintmax_t max_bytes = std::uintmax_t{64} << 20);

// True when `path` is `dir` or lies below it. Both are compared as absolute, lexically normal
// paths with symlinks resolved as far as they exist.
bool is_same_or_within(const std::filesystem::path& path, const std::filesystem::path& dir);

// Absolute, symlink-resolved (as far as it exists), lexically normal form of a user path.
std::filesystem::path resolved_path(const std::filesystem::path& path);

// True when the directory does not exist or holds no entries.
bool is_missing_or_empty_dir(const std::filesystem::path& dir);

// The items of a colon-separated list of paths, as $PATH is ($MDIVICOM_PLUGIN_PATH,
// $MDIVICOM_DEV_PLUGIN_ROOTS); empty items are dropped, and so is everything for nullptr.
std::vector<std::string> split_path_list(const char* value);

// A relative '/'-separated path with no "..", "." or empty components and no NUL.
bool is_clean_relative_path(const std::string& path);

} // namespace mdivicom
