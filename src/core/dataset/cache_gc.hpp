#pragma once

// `mdivicom gc` of the cache of extracted dataset archives (its layout and leases: cache.hpp).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom {

struct DatasetCacheGcOptions
{
  unsigned older_than_days = 30; // extracted datasets unused for this long go (0: all unused ones)
  bool dry_run = false;          // only list
};

struct DatasetCacheItem
{
  std::string kind;      // "dataset" (an extracted archive), "partial" (an interrupted extraction), "other"
  std::string name;      // in the datasets directory
  uint64_t bytes = 0;    // of its files
  int64_t last_used = 0; // unix seconds: the stamp's or the directory's mtime, whichever is later
  std::string reason;    // why it goes or stays, for people
};

struct DatasetCacheGcReport
{
  std::filesystem::path dir; // <cache>/datasets
  DatasetCacheGcOptions options;
  std::vector<DatasetCacheItem> removed; // in a dry run: what would be removed
  std::vector<DatasetCacheItem> kept;
  std::vector<std::string> errors;

  uint64_t removed_bytes() const;
  // {dir, older_than_days, removed|found: [{kind, name, bytes, last_used, reason}], kept: [...],
  //  errors: [...]} ("found" in a dry run, like the container part of gc).
  nlohmann::json to_json() const;
};

// `mdivicom gc` for `cache_root`/datasets: removes interrupted extractions whose process is
// gone and extracted datasets unused for options.older_than_days, never an entry a live
// process holds, never following a symbolic link. A missing cache is an empty report.
// Failures to remove are collected in `errors`, not thrown.
DatasetCacheGcReport gc_dataset_cache(const std::filesystem::path& cache_root, const DatasetCacheGcOptions& options);

} // namespace mdivicom
