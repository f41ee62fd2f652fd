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

} // namespace mdivicom
