#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/hash/sha256.hpp"
#include "core/util/progress_line.hpp"

namespace mdivicom {

// One file to hash, and what came out.
struct HashJob
{
  std::string path;           // relative to the root given to hash_files
  uint64_t expected_size = 0; // from the walk: orders the work and sizes the progress display
  std::string sha256;         // hex; empty when error is set
  uint64_t size = 0;          // bytes actually hashed
  std::string error;          // e.g. "Permission denied"; the file was not hashed
};

struct HashOptions
{
  bool follow_symlinks = false; // outputs: never; datasets: links inside the dataset are read
  std::string what;             // shown in the progress line, e.g. "outputs of my.plugin"
  unsigned workers = 0;         // 0: one per usable core
  bool progress = true;         // allow the progress line (still only on a terminal, for long work)
};

// Hashes every job's file below `root` with SHA-256 on all cores, largest files first, each
// worker streaming through its own 1 MiB buffer (memory stays bounded whatever the sizes).
// A file that cannot be read gets `error` instead of a hash. Throws Error (exit 130) when
// interrupted, and Error when the root cannot be opened.
void hash_files(const std::filesystem::path& root, std::vector<HashJob>& jobs, const HashOptions& options);

// Each hashing worker streams through one buffer of this size.
inline constexpr size_t k_hash_buffer_size = 1 << 20;

// Hashes the open regular file `fd` (of size_at_open bytes per fstat) into job.sha256 and
// job.size, or sets job.error, with the worker's own buffer and hash context (reset here).
// Throws Error (exit 130) when interrupted.
void hash_open_file(int fd, uint64_t size_at_open, unsigned char* buffer, Sha256& hash, ProgressLine& progress,
                    HashJob& job);

} // namespace mdivicom
