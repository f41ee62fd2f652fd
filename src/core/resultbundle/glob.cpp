#include "core/resultbundle/glob.hpp"

#include <algorithm>
#include <vector>

#include <fnmatch.h>

namespace mdivicom::resultbundle {

namespace {

std::vector<std::string> split(std::string_view text)
{
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = text.find('/', start);
    parts.emplace_back(text.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) {
      return parts;
    }
    start = slash + 1;
  }
}

} // namespace

std::optional<std::string> glob_problem(std::string_view glob)
{
  if (glob.empty()) {
    return "the glob is empty";
  }
  if (glob.front() == '/') {
    return "the glob is absolute; write it relative to the plugin's output directory";
  }
  if (glob.find('\0') != std::string_view::npos) {
    return "the glob contains a NUL character";
  }
  for (const auto& segment : split(glob)) {
    if (segment.empty()) {
      return "the glob has an empty path segment ('//' or a trailing '/')";
    }
    if (segment == "." || segment == "..") {
      return "the glob has a '" + segment + "' segment; rules may only name files below the output directory";
    }
  }
  return std::nullopt;
}

bool glob_matches(std::string_view glob, std::string_view path)
{
  const auto pattern = split(glob);
  const auto parts = split(path);
  if (parts.empty() || std::find(parts.begin(), parts.end(), std::string()) != parts.end()) {
    return false;
  }
  // matched[i][j]: pattern[i..] matches parts[j..]. Filled from the end, so "**" costs
  // O(segments^2) instead of backtracking exponentially.
  std::vector<std::vector<char>> matched(pattern.size() + 1, std::vector<char>(parts.size() + 1, 0));
  matched[pattern.size()][parts.size()] = 1;
  for (size_t i = pattern.size(); i-- > 0;) {
    for (size_t j = parts.size() + 1; j-- > 0;) {
      if (pattern[i] == "**") {
        matched[i][j] = matched[i + 1][j] || (j < parts.size() && parts[j].front() != '.' && matched[i][j + 1]);
      } else if (j < parts.size()) {
        matched[i][j] = matched[i + 1][j + 1] && ::fnmatch(pattern[i].c_str(), parts[j].c_str(), FNM_PERIOD) == 0;
      }
    }
  }
  return matched[0][0] != 0;
}

} // namespace mdivicom::resultbundle
