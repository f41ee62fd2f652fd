#pragma once

#include <filesystem>
#include <optional>

namespace mdivicom {

// ${XDG_CACHE_HOME:-$HOME/.cache}/mdivicom, each variable only when it is an absolute path;
// nullopt when neither is (callers that can do without a cache skip it).
std::optional<std::filesystem::path> find_mdivicom_cache_dir();

// The same for work that needs the cache: throws a usage Error when there is none.
std::filesystem::path mdivicom_cache_dir();

} // namespace mdivicom
