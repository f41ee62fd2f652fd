#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/dataset/archive_extract.hpp" // ExtractLimits

namespace mdivicom {

// True for a regular file named .zip, .tar, .tar.gz, .tgz, .tar.zst or .tzst.
bool is_dataset_archive(const std::filesystem::path& path);

// `--dataset ARCHIVE`: extracts the archive once into the content-addressed cache
// ${XDG_CACHE_HOME:-~/.cache}/mdivicom/datasets/<sha256 of the archive>/ and returns that
// directory, read-only; the next call with the same archive bytes returns it without
// extracting. The archive's own hash names the directory (record it as the dataset's
// archive identity). When the archive holds a single top-level folder (made with
// `tar czf ds.tar.gz dataset/`), that folder is returned: the dataset root inside the cache
// directory.
// Extraction goes to a temporary directory renamed into place at the end, so a crash or a
// concurrent run never leaves a half-extracted cache entry. Every call marks the entry used
// and keeps it leased until the process exits (dataset_cache.hpp: what `mdivicom gc` may
// remove, and when). Refused with a usage Error naming
// the entry: absolute paths, "..", symbolic or hard links that leave the archive, links
// traversed by later entries, device/fifo/socket entries, duplicate entries, and archives
// beyond `limits` (zip bombs).
std::filesystem::path prepare_dataset(const std::filesystem::path& archive);
std::filesystem::path prepare_dataset(const std::filesystem::path& archive, const std::filesystem::path& cache_dir,
                                      const ExtractLimits& limits);

// The SHA-256 of the archive a prepare_dataset() result came from (it names the cache
// directory), or "" for any other directory.
std::string prepared_archive_sha256(const std::filesystem::path& prepared);

// Removes a directory tree that prepare_dataset made read-only (cache cleanup, tests), never
// following a symbolic link (remove_tree_at). A missing `dir` is not an error.
void remove_read_only_tree(const std::filesystem::path& dir);

} // namespace mdivicom
