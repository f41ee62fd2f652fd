#pragma once

#include <cstdint>
#include <filesystem>

namespace mdivicom {

// What an archive may expand to before it is refused as a zip bomb.
struct ExtractLimits
{
  uint64_t max_total_bytes = 64ull << 30; // all entries together
  uint64_t max_entries = 1'000'000;
  double max_ratio = 200;                    // expanded bytes / archive file bytes ...
  uint64_t ratio_floor_bytes = 100ull << 20; // ... checked once this much was expanded
};

// The extraction of a dataset archive into `destination` (which must exist and be empty), with
// the refusals prepare_dataset (archive.hpp) lists. Leaves whatever was extracted when it
// throws; callers remove the directory.
void extract_archive_safely(const std::filesystem::path& archive, const std::filesystem::path& destination,
                            const ExtractLimits& limits = {});

} // namespace mdivicom
