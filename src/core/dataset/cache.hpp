#pragma once

// The per-user cache of extracted dataset archives, <cache>/datasets/:
//   <sha256>/                    an extracted archive (named by the archive's SHA-256), read-only
//   <sha256>.used                its stamp: mtime = last use; every process that uses or extracts
//                                the entry holds a shared flock on it until that process exits
//   .partial-<sha256>-XXXXXX/    an extraction in progress, renamed to <sha256>/ when complete;
//                                left behind only when its process died
// `mdivicom gc` takes the stamp's lock exclusively (never waiting) before it removes anything of
// an entry, so it cannot remove what a live process is reading or extracting, and a run that
// starts meanwhile waits for gc to finish with that entry.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom {

// Marks the cache entry `sha256` of `datasets` as used now and holds a shared lock on its stamp
// until this process exits (a run reads its dataset until then). Waits while `gc` is removing
// that entry. Throws Error when the stamp cannot be created.
void hold_dataset_lease(const std::filesystem::path& datasets, const std::string& sha256);

// After a failed extraction: gives up this process's lease on `sha256` and removes its stamp,
// unless another process holds it too or the entry exists (a refused archive leaves no trace).
void drop_dataset_lease(const std::filesystem::path& datasets, const std::string& sha256);

// Creates an empty .partial-<sha256>-XXXXXX directory in `datasets` to extract into; the caller
// holds the entry's lease (hold_dataset_lease) first, so gc knows the extraction is alive.
std::filesystem::path make_partial_dir(const std::filesystem::path& datasets, const std::string& sha256);

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
