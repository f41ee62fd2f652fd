#pragma once

#include <filesystem>

namespace mdivicom {

// Where the running binary lives: "" when /proc/self/exe cannot be read.
std::filesystem::path executable_dir();

// True for binaries in the build tree (mdivicom and the tests): they may use the source tree's
// manifests and the build tree's modules; an installed binary never does.
bool running_from_build_tree();

} // namespace mdivicom
