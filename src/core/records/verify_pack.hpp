#pragma once

#include <filesystem>

#include "core/records/verify.hpp"

namespace mdivicom {

// Streams a pack once: hashes every file, keeps records and inventories in memory.
VerifyReport verify_pack(const std::filesystem::path& pack);

} // namespace mdivicom
