#pragma once

#include <filesystem>
#include <vector>

#include "core/records/inventory.hpp"

namespace mdivicom {

// Walks `root` and hashes its files in one pass on all workers: directories and files are
// tasks of one queue, so listing and hashing overlap, and a file is stat'ed once (by the
// worker that opened it), not by the walk as well. Never follows a symbolic link. Returns
// the entries sorted by path; throws Error when `root` cannot be listed, and Error (exit 130)
// when interrupted.
std::vector<InventoryEntry> scan_inventory(const std::filesystem::path& root, const InventoryOptions& options);

} // namespace mdivicom
