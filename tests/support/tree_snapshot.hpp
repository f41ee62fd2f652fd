#pragma once

// A tree's every entry with its content and metadata, to show that a run left a directory (the
// dataset) bit-identical and metadata-identical: type, mode, owner, size, mtime, ctime, link
// text and bytes. The access time is left out: reading a file may change it.

#include <filesystem>
#include <map>
#include <string>

#include <sys/stat.h>

#include "support/temp_dir.hpp"

namespace mdivicom::test {

inline std::map<std::string, std::string> tree_snapshot(const std::filesystem::path& root)
{
  namespace fs = std::filesystem;
  std::map<std::string, std::string> entries;
  auto describe = [](const fs::path& path) {
    struct stat info = {};
    if (::lstat(path.c_str(), &info) != 0) {
      return std::string("missing");
    }
    std::string text = std::to_string(info.st_mode) + " " + std::to_string(info.st_uid) + ":" +
                       std::to_string(info.st_gid) + " " + std::to_string(info.st_size) + " m" +
                       std::to_string(info.st_mtim.tv_sec) + "." + std::to_string(info.st_mtim.tv_nsec) + " c" +
                       std::to_string(info.st_ctim.tv_sec) + "." + std::to_string(info.st_ctim.tv_nsec);
    std::error_code error;
    if (S_ISLNK(info.st_mode)) {
      text += " -> " + fs::read_symlink(path, error).string();
    } else if (S_ISREG(info.st_mode)) {
      text += " " + read_file(path);
    }
    return text;
  };
  entries["."] = describe(root);
  std::error_code error;
  for (fs::recursive_directory_iterator it(root, error), end; !error && it != end; it.increment(error)) {
    entries[it->path().lexically_relative(root).string()] = describe(it->path());
  }
  return entries;
}

} // namespace mdivicom::test
