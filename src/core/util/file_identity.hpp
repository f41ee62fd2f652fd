#pragma once

#include <cstdint>
#include <optional>

#include <sys/stat.h>

namespace mdivicom {

// The one rule for every cache that trusts a file unchanged without reading it (file hashes,
// manifest summaries, Python plugins): what identifies a file's content is all of these; if none
// changed, neither did the content (ctime moves on every write, chmod, rename into place and
// restore by backup tools).
struct FileIdentity
{
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;

  bool operator==(const FileIdentity&) const = default;
};

// Nanoseconds since the epoch of a file timestamp (st_mtim, st_ctim).
int64_t timestamp_ns(const struct timespec& time);

// The identity of the file `info` describes.
FileIdentity file_identity(const struct stat& info);

// fstatat(dir_fd, name) following links; nullopt when the file cannot be stat'ed.
std::optional<FileIdentity> file_identity_at(int dir_fd, const char* name);

// Files changed this recently may change again within the same timestamp tick; caching what
// was read from them could pair an old identity with new content ("racy git").
inline constexpr int64_t k_racy_window_ns = 2'000'000'000;

// Nanoseconds since the epoch, the clock of file timestamps.
int64_t wall_clock_ns();

// True when the file last changed more than k_racy_window_ns before `now_ns`: safe to cache.
// A cache remembers only settled files, so a later change always moves a timestamp.
bool is_settled(const FileIdentity& identity, int64_t now_ns);

} // namespace mdivicom
