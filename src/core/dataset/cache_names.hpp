#pragma once

// Names in the dataset cache directory (layout in dataset_cache.hpp), shared by the lease and
// gc halves of the module.

#include <string>
#include <string_view>

namespace mdivicom::dataset_cache_names {

constexpr std::string_view k_partial_prefix = ".partial-";

inline bool is_sha256_name(std::string_view name)
{
  return name.size() == 64 && name.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

inline std::string stamp_name(const std::string& sha256)
{
  return sha256 + ".used";
}

// The archive digest in ".partial-<sha256>-XXXXXX", or "" for any other name.
inline std::string partial_sha256(std::string_view name)
{
  if (!name.starts_with(k_partial_prefix) || name.size() < k_partial_prefix.size() + 65) {
    return {};
  }
  std::string_view digest = name.substr(k_partial_prefix.size(), 64);
  return is_sha256_name(digest) && name[k_partial_prefix.size() + 64] == '-' ? std::string(digest) : std::string();
}

} // namespace mdivicom::dataset_cache_names
