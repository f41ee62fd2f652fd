#include "lanes/inproc/discovery/pyproject.hpp"

#include "lanes/inproc/discovery/toml_strings.hpp"

#include "core/util/fs.hpp"

#include <cstdlib>

namespace mdivicom::inproc {

Result<PyprojectInfo> parse_pyproject(std::string_view text, std::string_view group)
{
  using Key = TomlKey;
  auto strings = toml_strings(text);
  if (!strings) {
    return Failure{strings.error()};
  }
  PyprojectInfo info;
  for (auto& [key, value] : *strings) {
    if (key == Key{"project", "name"}) {
      info.project_name = value;
    } else if (key == Key{"project", "version"}) {
      info.project_version = value;
    } else if (key.size() == 4 && key[0] == "project" && key[1] == "entry-points" && key[2] == group) {
      info.entry_points.push_back({key[3], value});
    }
  }
  return info;
}

Result<PyprojectInfo> read_pyproject(const std::filesystem::path& file, std::string_view group)
{
  std::string text;
  try {
    text = read_file(file);
  } catch (const Error& e) {
    return Failure{e.what()}; // "cannot read <file>: <why>"
  }
  auto info = parse_pyproject(text, group);
  if (!info) {
    return Failure{file.string() + ": " + info.error() + " (not valid TOML)"};
  }
  return info;
}

std::vector<std::filesystem::path> dev_plugin_roots()
{
  std::vector<std::filesystem::path> roots;
  for (const auto& part : split_path_list(std::getenv("MDIVICOM_DEV_PLUGIN_ROOTS"))) {
    std::error_code error;
    auto root = std::filesystem::absolute(part, error).lexically_normal();
    if (!root.has_filename() && root != root.root_path()) {
      root = root.parent_path(); // "tree/" names the same root as "tree"
    }
    roots.push_back(root);
  }
  return roots;
}

std::vector<std::filesystem::path> dev_root_import_dirs(const std::filesystem::path& root)
{
  std::vector<std::filesystem::path> dirs = {root};
  std::error_code error;
  if (std::filesystem::is_directory(root / "src", error)) {
    dirs.push_back(root / "src");
  }
  return dirs;
}

} // namespace mdivicom::inproc
