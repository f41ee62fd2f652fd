#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include <sys/stat.h>

namespace mdivicom {

// ${XDG_CACHE_HOME:-$HOME/.cache}/mdivicom. Throws a usage Error when neither is set.
std::filesystem::path mdivicom_cache_dir();

// What identifies a file's content without reading it: if all of these are unchanged, so is
// the content (ctime moves on every write, chmod, rename into place and restore by backup tools).
struct FileIdentity
{
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;

  bool operator==(const FileIdentity&) const = default;
};

// The identity of the file `info` describes.
FileIdentity file_identity(const struct stat& info);

// Files changed this recently may change again within the same timestamp tick; caching what
// was read from them could pair an old identity with new content ("racy git").
inline constexpr int64_t k_racy_window_ns = 2'000'000'000;

// Nanoseconds since the epoch, the clock of file timestamps.
int64_t wall_clock_ns();

// True when the file last changed more than k_racy_window_ns before `now_ns`: safe to cache.
bool is_settled(const FileIdentity& identity, int64_t now_ns);

// The persistent per-user cache of file hashes, so an unchanged dataset file is never read
// twice. Stored as 256 text shards under <cache>/mdivicom/file-hashes/v1/ (keyed by device and
// inode); each shard is written to a temporary file and renamed, merged with what other runs
// wrote meanwhile, so concurrent runs lose at most each other's newest entries, never corrupt
// a shard. A shard that fails to parse is ignored and rebuilt. Not thread-safe: one owner.
class FileHashCache
{
public:
  // An empty dir disables the cache (lookups miss, save does nothing).
  explicit FileHashCache(std::filesystem::path dir);
  static std::filesystem::path default_dir(); // <mdivicom_cache_dir()>/file-hashes/v1

  std::optional<std::string> lookup(const FileIdentity& identity);
  void store(const FileIdentity& identity, const std::string& sha256);
  // Writes the shards changed by store(). Failures are logged, never thrown: a cache that
  // cannot be written only costs time.
  void save();

private:
  struct Value
  {
    uint64_t size;
    int64_t mtime_ns;
    int64_t ctime_ns;
    std::string sha256;
  };
  using Key = std::pair<uint64_t, uint64_t>; // device, inode
  using Shard = std::map<Key, Value>;
  static constexpr size_t k_shards = 256;

  static size_t shard_of(const Key& key);
  std::filesystem::path shard_path(size_t shard) const;
  Shard load_shard(size_t shard) const;
  Shard& shard(size_t index);

  std::filesystem::path m_dir;
  std::array<std::optional<Shard>, k_shards> m_loaded;
  std::array<Shard, k_shards> m_updates;
};

} // namespace mdivicom
