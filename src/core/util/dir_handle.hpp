#pragma once

#include <memory>

#include <dirent.h>

namespace mdivicom {

// An open directory stream, closed when the handle goes.
struct DirCloser
{
  void operator()(DIR* dir) const { ::closedir(dir); }
};
using DirHandle = std::unique_ptr<DIR, DirCloser>;

} // namespace mdivicom
