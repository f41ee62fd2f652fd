#pragma once

#include <string>
#include <string_view>

namespace mdivicom {

// 64-bit FNV-1a of `text` as 16 lowercase hex digits: a short, stable name for a cache entry
// (a manifest directory, a Python environment). Not for content identity: that is SHA-256.
std::string fnv1a_hex(std::string_view text);

} // namespace mdivicom
