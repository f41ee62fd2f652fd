#include "core/util/install_layout.hpp"

#include "build_info.hpp"

#include <algorithm>
#include <system_error>

namespace mdivicom {

namespace fs = std::filesystem;

fs::path executable_dir()
{
  std::error_code error;
  fs::path exe = fs::read_symlink("/proc/self/exe", error);
  return error ? fs::path() : exe.parent_path();
}

bool running_from_build_tree()
{
  fs::path exe_dir = executable_dir();
  fs::path build_dir = build_info::k_binary_dir;
  auto [build_end, exe_it] = std::mismatch(build_dir.begin(), build_dir.end(), exe_dir.begin(), exe_dir.end());
  return !exe_dir.empty() && build_end == build_dir.end();
}

} // namespace mdivicom
