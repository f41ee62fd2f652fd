#pragma once

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

namespace mdivicom {

// The least memory a plugin may be given: less and an engine refuses to start the container.
inline constexpr int64_t k_min_memory_bytes = int64_t{6} << 20;

// A manifest's entry.resources.memory in bytes: a positive integer, or a string of digits with
// an optional k, m or g (binary units: "512m"). nullopt when malformed, not positive, or past
// int64. The one rule for `plugins validate`, listing and run (the container lane).
std::optional<int64_t> memory_size_bytes(const nlohmann::json& value);

} // namespace mdivicom
