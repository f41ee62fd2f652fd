#include "core/util/cache_dir.hpp"

#include "core/util/error.hpp"

#include <cstdlib>

namespace mdivicom {

namespace fs = std::filesystem;

std::optional<fs::path> find_mdivicom_cache_dir()
{
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && *xdg == '/') {
    return fs::path(xdg) / "mdivicom";
  }
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home == '/') {
    return fs::path(home) / ".cache" / "mdivicom";
  }
  return std::nullopt;
}

fs::path mdivicom_cache_dir()
{
  if (auto dir = find_mdivicom_cache_dir()) {
    return *dir;
  }
  throw usage_error("cannot find a cache directory: neither XDG_CACHE_HOME nor HOME is set to an absolute path; "
                    "set one of them");
}

} // namespace mdivicom
