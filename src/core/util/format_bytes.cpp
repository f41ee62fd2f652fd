#include "core/util/format_bytes.hpp"

#include <cstdio>
#include <iterator>

namespace mdivicom {

std::string format_bytes(uint64_t bytes)
{
  static const char* k_units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) {
    return std::to_string(bytes) + " B";
  }
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(k_units)) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f %s", value, k_units[unit]);
  return text;
}

} // namespace mdivicom
