#include "core/hash/fnv1a.hpp"

#include <cstdint>
#include <cstdio>

namespace mdivicom {

std::string fnv1a_hex(std::string_view text)
{
  uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : text) {
    hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

} // namespace mdivicom
