#include "lanes/container/exposure/submounts.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>

namespace mdivicom::container {

namespace fs = std::filesystem;

namespace {

// mountinfo escapes space, tab, newline and backslash in paths as \ooo (octal).
std::string unescape_mountinfo(std::string_view field)
{
  std::string text;
  for (size_t i = 0; i < field.size(); ++i) {
    const bool octal =
        field[i] == '\\' && i + 3 < field.size() &&
        std::all_of(field.begin() + i + 1, field.begin() + i + 4, [](char c) { return c >= '0' && c <= '7'; });
    if (octal) {
      text += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0'));
      i += 3;
    } else {
      text += field[i];
    }
  }
  return text;
}

// The fifth field of a mountinfo line: the mount point.
std::string mount_point(std::string_view line)
{
  size_t start = 0;
  for (int field = 0; field < 4; ++field) {
    start = line.find(' ', start);
    if (start == std::string_view::npos) {
      return {};
    }
    ++start;
  }
  return unescape_mountinfo(line.substr(start, line.find(' ', start) - start));
}

} // namespace

std::vector<fs::path> mounts_below(const fs::path& source, std::string_view mountinfo)
{
  std::string prefix = source.lexically_normal().string();
  while (prefix.size() > 1 && prefix.ends_with('/')) {
    prefix.pop_back();
  }
  if (!prefix.ends_with('/')) {
    prefix += '/';
  }
  std::set<std::string> found; // sorted: "/d/a" before "/d/a/b"
  size_t start = 0;
  while (start < mountinfo.size()) {
    size_t end = mountinfo.find('\n', start);
    if (end == std::string_view::npos) {
      end = mountinfo.size();
    }
    std::string point = mount_point(mountinfo.substr(start, end - start));
    if (point.size() > prefix.size() && point.starts_with(prefix)) {
      found.insert(point);
    }
    start = end + 1;
  }
  return {found.begin(), found.end()};
}

std::vector<LinkBind> submount_binds(const std::vector<LinkBind>& read_only_binds)
{
  // Read to its end: /proc files give no size to read up to.
  std::ifstream in("/proc/self/mountinfo");
  const std::string mountinfo{std::istreambuf_iterator<char>(in), {}};
  std::vector<LinkBind> binds;
  for (const auto& bind : read_only_binds) {
    for (const auto& point : mounts_below(bind.host, mountinfo)) {
      binds.push_back({point, container_normal(bind.container + "/" + point.lexically_relative(bind.host).string())});
    }
  }
  return binds;
}

} // namespace mdivicom::container
