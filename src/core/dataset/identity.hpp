#pragma once

// What identifies the dataset a run read, for the run record.
//
// --dataset-hash modes:
//   full  Fingerprint over every file's relative path, size and SHA-256 content hash. Unchanged
//         files are not re-read: their hashes come from a per-user cache keyed by device, inode,
//         size, mtime and ctime (${XDG_CACHE_HOME:-~/.cache}/mdivicom/file-hashes/). Proves
//         which bytes were read. The first run over a dataset reads it once (about 1.7 GB/s
//         per core); later runs only stat it.
//   fast  Fingerprint over paths, sizes and modification times only; no content is read.
//         Weaker: it detects added, removed, resized and touched files, but not content
//         rewritten in place with the old mtime restored, and it is not comparable across
//         copies of a dataset (a copy has new mtimes).
//   off   Nothing but the dataset path is recorded.
// The default is full: a lab must be able to show months later exactly which data produced a
// result, across copies and machines, and thanks to the cache that costs one read per file
// ever, not one per run. Use fast for huge datasets on slow storage where even one read is
// too much, off when identity does not matter (quick experiments).
//
// Symbolic links inside the dataset (git-annex, DataLad) are followed to hash the content they
// point to, wherever it lives; the fingerprint does not depend on the link texts. A link to a
// directory is walked only when it resolves inside the dataset. Links are counted; dangling
// links, loops and links to outside directories are listed under "problems". Directories named .git are
// not walked (their content changes with every git command); "excluded" says so.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom {

enum class DatasetHashMode { full, fast, off };

inline constexpr DatasetHashMode k_default_dataset_hash_mode = DatasetHashMode::full;

// "full", "fast" or "off"; anything else is a usage error naming the choices.
DatasetHashMode parse_dataset_hash_mode(std::string_view text);
std::string_view to_string(DatasetHashMode mode);

class FileHashCache;

struct DatasetIdentityOptions
{
  std::filesystem::path cache_dir; // empty: FileHashCache::default_dir()
  bool use_cache = true;
  FileHashCache* cache = nullptr; // a cache shared across calls (a batch); overrides the two above
  unsigned workers = 0;           // 0: one per usable core
  bool progress = true;           // progress line on a terminal for long work
  // Directory names never walked; also a plugin's source tree (its code identity) uses this.
  std::vector<std::string> excluded_dir_names = {".git"};
  // When set, receives the fingerprint's lines (without "\n"), in order: the per-file
  // inventory an up-to-date check compares with (core/run/run_key.hpp).
  std::vector<std::string>* lines = nullptr;
};

// The record fragment stored as record["dataset"]:
//   {"mode": "full", "path": "<dataset_dir>", "fingerprint_sha256": "<hex>", "file_count": N,
//    "total_bytes": B, "symlinks": L, "symlinks_outside": O, "excluded": [".git"],
//    "cache": {"hits": H, "hashed": R}[, "problems": ["<path>: dangling link: ...", ...]]}
//   fast: the same without "cache", plus "note" saying what fast does not detect.
//   off:  {"mode": "off", "path": "<dataset_dir>"}.
// The fingerprint is SHA-256 over one compact JSON line per file, sorted by path:
//   full: [path, size, sha256]   fast: [path, size, mtime_ns]   problem: [path, "<error>"]
// with a path that is not UTF-8 written as {"hex": "<bytes>"}. Throws a usage Error when the
// dataset directory cannot be opened.
nlohmann::json dataset_identity(const std::filesystem::path& dataset_dir, DatasetHashMode mode,
                                const DatasetIdentityOptions& options = {});

} // namespace mdivicom
