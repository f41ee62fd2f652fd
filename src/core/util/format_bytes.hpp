#pragma once

#include <cstdint>
#include <string>

namespace mdivicom {

// Human-readable byte count for messages and listings: "512 B", "1.5 MiB" (binary units).
std::string format_bytes(uint64_t bytes);

} // namespace mdivicom
