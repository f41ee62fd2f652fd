#pragma once

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/records/verify.hpp"
#include "core/util/error.hpp"

namespace mdivicom {

class FileHashCache;

// Whether a run's outputs are still the files its record lists, for the up-to-date check of a
// later run: the same comparison as `verify`, but a file whose identity (device, inode, size,
// times) the hash cache knows is not read again, so an unchanged output dir costs its stats.
// Files the cache does not know (the run's own outputs, the first time) are hashed once and
// remembered. Returns the differences (none: unchanged), or a Failure when the record's
// inventory is missing or damaged.
Result<std::vector<Mismatch>> outputs_changed_since(const std::filesystem::path& out_root, const nlohmann::json& record,
                                                    FileHashCache& cache);

} // namespace mdivicom
