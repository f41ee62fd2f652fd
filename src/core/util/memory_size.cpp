#include "core/util/memory_size.hpp"

#include <cctype>
#include <charconv>
#include <limits>
#include <string>

namespace mdivicom {

std::optional<int64_t> memory_size_bytes(const nlohmann::json& value)
{
  if (value.is_number_unsigned()) {
    auto bytes = value.get<uint64_t>();
    return bytes > 0 && bytes <= uint64_t(std::numeric_limits<int64_t>::max())
               ? std::optional<int64_t>(static_cast<int64_t>(bytes))
               : std::nullopt;
  }
  if (value.is_number_integer()) {
    return value.get<int64_t>() > 0 ? std::optional<int64_t>(value.get<int64_t>()) : std::nullopt;
  }
  if (!value.is_string()) {
    return std::nullopt;
  }
  std::string text = value.get<std::string>();
  int64_t scale = 1;
  switch (text.empty() ? '\0' : std::tolower(static_cast<unsigned char>(text.back()))) {
  case 'k': scale = int64_t{1} << 10; break;
  case 'm': scale = int64_t{1} << 20; break;
  case 'g': scale = int64_t{1} << 30; break;
  default: break;
  }
  if (scale != 1) {
    text.pop_back();
  }
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  int64_t number = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || number <= 0 || number > std::numeric_limits<int64_t>::max() / scale) {
    return std::nullopt;
  }
  return number * scale;
}

} // namespace mdivicom
