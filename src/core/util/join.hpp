#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mdivicom {

// The parts with `separator` between each two: join({"a", "b"}, ", ") is "a, b".
inline std::string join(const std::vector<std::string>& parts, std::string_view separator)
{
  std::string result;
  for (size_t i = 0; i < parts.size(); ++i) {
    result.append(i == 0 ? std::string_view() : separator).append(parts[i]);
  }
  return result;
}

} // namespace mdivicom
