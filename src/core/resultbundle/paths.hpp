#pragma once

#include <filesystem>
#include <string>

#include "core/util/error.hpp"

// Path handling with the reference's semantics (pathlib on POSIX), so resolved paths and
// containment decisions are the same as the Python runner's.
namespace mdivicom::resultbundle {

// Path(text).expanduser(): a leading "~" or "~user" becomes that home directory. Fails, as
// Python does, when the home directory cannot be determined.
Result<std::string> expand_user(const std::string& text);

// Path(text).resolve(strict=False), i.e. os.path.realpath: made absolute against the working
// directory, symlinks followed one component at a time, ".." applied to the resolved parent,
// and a missing tail kept as written. Fails on a symlink loop (Python raises RuntimeError).
Result<std::filesystem::path> python_resolve(const std::filesystem::path& path);

// expand_user then python_resolve.
Result<std::filesystem::path> expand_and_resolve(const std::string& text);

// PurePath.relative_to() succeeds: `path` equals `root` or lies under it, component-wise.
// Both must already be resolved, so symlinks cannot smuggle a path out.
bool is_within(const std::filesystem::path& path, const std::filesystem::path& root);

// Path.exists(): follows symlinks; any error counts as "does not exist".
bool path_exists(const std::filesystem::path& path);

} // namespace mdivicom::resultbundle
