#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "core/util/file_identity.hpp"

namespace mdivicom {

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
  static std::filesystem::path default_dir(); // <mdivicom_cache_dir()>/file-hashes/v1 (util/cache_dir.hpp)

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
