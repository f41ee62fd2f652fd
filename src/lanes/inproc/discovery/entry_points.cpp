#include "lanes/inproc/discovery/entry_points.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace mdivicom::inproc {

namespace fs = std::filesystem;

namespace {

// entry_points.txt files are small; anything bigger is not one.
constexpr std::uintmax_t k_max_entry_points_bytes = std::uintmax_t{1} << 20;

std::string_view trim(std::string_view text)
{
  auto start = text.find_first_not_of(" \t\r\n\f\v");
  if (start == std::string_view::npos) {
    return {};
  }
  auto end = text.find_last_not_of(" \t\r\n\f\v");
  return text.substr(start, end - start + 1);
}

bool read_small_file(const fs::path& path, std::string& text)
{
  std::error_code error;
  auto size = fs::file_size(path, error);
  if (error || size > k_max_entry_points_bytes) {
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  return true;
}

// "name-1.0.dist-info" -> {"name", "1.0"}; "name.egg-info" -> {"name", ""}.
std::pair<std::string, std::string> split_metadata_dir_name(const std::string& dir_name)
{
  std::string stem = dir_name.substr(0, dir_name.rfind('.'));
  auto dash = stem.find('-');
  if (dash == std::string::npos) {
    return {stem, ""};
  }
  std::string version = stem.substr(dash + 1);
  auto second_dash = version.find('-'); // egg-info: name-1.0-py3.11
  if (second_dash != std::string::npos) {
    version = version.substr(0, second_dash);
  }
  return {stem.substr(0, dash), version};
}

} // namespace

std::vector<EntryPointDecl> parse_entry_points(std::string_view text, std::string_view group)
{
  std::vector<EntryPointDecl> result;
  bool in_group = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    if (line.front() == '[' && line.back() == ']') {
      auto name_start = line.find_first_not_of('[');
      auto name_end = line.find_last_not_of(']');
      in_group = name_start != std::string_view::npos && line.substr(name_start, name_end - name_start + 1) == group;
      continue;
    }
    auto eq = line.find('=');
    if (!in_group || eq == std::string_view::npos) {
      continue;
    }
    std::string name(trim(line.substr(0, eq)));
    std::string value(trim(line.substr(eq + 1)));
    if (!name.empty() && !value.empty()) {
      result.push_back({std::move(name), std::move(value)});
    }
  }
  return result;
}

std::string entry_point_ref(const std::string& value)
{
  std::string ref;
  for (char c : value.substr(0, value.find('['))) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      ref += c;
    }
  }
  return ref;
}

std::string normalize_distribution_name(std::string_view name)
{
  std::string result;
  bool separator = false;
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      separator = true;
      continue;
    }
    if (separator && !result.empty()) {
      result += '_';
    }
    separator = false;
    result += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return result;
}

std::vector<Distribution> find_distributions(const std::vector<fs::path>& search_path, std::string_view group)
{
  std::vector<Distribution> result;
  std::set<std::string> seen;
  for (const auto& dir : search_path) {
    std::error_code error;
    std::vector<fs::path> metadata_dirs;
    for (const auto& item : fs::directory_iterator(dir, error)) {
      std::string name = item.path().filename().string();
      std::string lowered = name;
      std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](unsigned char c) { return std::tolower(c); });
      if (lowered.ends_with(".dist-info") || lowered.ends_with(".egg-info")) {
        metadata_dirs.push_back(item.path());
      }
    }
    // listdir order is arbitrary; sorting makes the first-wins rule deterministic.
    std::sort(metadata_dirs.begin(), metadata_dirs.end());
    for (const auto& metadata_dir : metadata_dirs) {
      auto [name, version] = split_metadata_dir_name(metadata_dir.filename().string());
      if (!seen.insert(normalize_distribution_name(name)).second) {
        continue;
      }
      std::string text;
      if (!read_small_file(metadata_dir / "entry_points.txt", text) || text.find(group) == std::string::npos) {
        continue;
      }
      auto entry_points = parse_entry_points(text, group);
      if (!entry_points.empty()) {
        result.push_back({name, version, metadata_dir, std::move(entry_points)});
      }
    }
  }
  return result;
}

} // namespace mdivicom::inproc
