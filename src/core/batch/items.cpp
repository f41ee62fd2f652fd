#include "core/batch/items.hpp"

#include "core/dataset/archive.hpp"
#include "core/json/bounded.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/text_bytes.hpp"

#include <glob.h>

#include <iostream>
#include <map>
#include <set>
#include <sstream>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t k_max_list_bytes = std::uintmax_t{16} << 20;

std::string join_lines(const std::vector<std::string>& lines)
{
  std::string text;
  for (const auto& line : lines) {
    text += "\n  " + line;
  }
  return text;
}

bool has_glob_characters(const std::string& text)
{
  return text.find_first_of("*?[") != std::string::npos;
}

// A path from a list is taken from the list's directory, as a build file's paths are.
std::string from_list_dir(const std::string& path, const fs::path& list_dir)
{
  if (path.empty() || path.front() == '/' || list_dir.empty()) {
    return path;
  }
  return (list_dir / path).string();
}

std::vector<std::string> split_tabs(const std::string& line)
{
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) {
      return fields;
    }
    start = tab + 1;
  }
}

// A config cell: JSON text, or the path of a JSON file (relative to the list's directory).
nlohmann::json parse_config_cell(const std::string& cell, const fs::path& list_dir, const std::string& origin)
{
  std::string text = cell;
  if (!cell.empty() && cell.front() != '{') {
    text = read_file(from_list_dir(cell, list_dir), std::uintmax_t{16} << 20);
  }
  nlohmann::json config = parse_json_bounded(text, false);
  if (!config.is_object()) {
    throw usage_error(origin + ": the config is not a JSON object: " + printable(cell));
  }
  return config;
}

std::vector<DatasetSource> read_json_list(const std::string& text, const std::string& name, const fs::path& list_dir)
{
  nlohmann::json list = parse_json_bounded(text, false);
  if (!list.is_array()) {
    throw usage_error(name + ": not a JSON array of {\"dataset\": ..., \"config\": ...} objects");
  }
  std::vector<DatasetSource> sources;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string origin = name + ": [" + std::to_string(i) + "]";
    const nlohmann::json& entry = list[i];
    if (!entry.is_object() || !entry.contains("dataset") || !entry["dataset"].is_string()) {
      throw usage_error(origin + ": expected an object with a \"dataset\" path");
    }
    DatasetSource source{from_list_dir(entry["dataset"].get<std::string>(), list_dir), origin, {}};
    if (entry.contains("config")) {
      if (!entry["config"].is_object()) {
        throw usage_error(origin + ": \"config\" must be a JSON object");
      }
      source.config = entry["config"];
    }
    sources.push_back(std::move(source));
  }
  return sources;
}

std::vector<DatasetSource> read_text_list(const std::string& text, const std::string& name, const fs::path& list_dir)
{
  std::vector<DatasetSource> sources;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  std::optional<size_t> dataset_column;
  std::optional<size_t> config_column;
  while (std::getline(lines, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const std::string origin = name + ":" + std::to_string(number);
    std::vector<std::string> fields = split_tabs(line);
    if (!dataset_column && sources.empty() && fields.size() > 1) {
      for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i] == "dataset") {
          dataset_column = i;
        } else if (fields[i] == "config") {
          config_column = i;
        }
      }
      if (!dataset_column) {
        throw usage_error(origin + ": a TSV list needs a header line naming a \"dataset\" column");
      }
      continue;
    }
    if (!dataset_column) {
      sources.push_back({from_list_dir(line, list_dir), origin, std::nullopt});
      continue;
    }
    if (fields.size() <= *dataset_column || fields[*dataset_column].empty()) {
      throw usage_error(origin + ": no dataset in the \"dataset\" column");
    }
    DatasetSource source{from_list_dir(fields[*dataset_column], list_dir), origin, std::nullopt};
    if (config_column && fields.size() > *config_column && !fields[*config_column].empty()) {
      source.config = parse_config_cell(fields[*config_column], list_dir, origin);
    }
    sources.push_back(std::move(source));
  }
  return sources;
}

std::vector<fs::path> expand(const DatasetSource& source)
{
  if (!has_glob_characters(source.text)) {
    return {fs::path(source.text)};
  }
  glob_t found{};
  const int status = ::glob(source.text.c_str(), GLOB_MARK, nullptr, &found);
  std::vector<fs::path> paths;
  if (status == 0) {
    for (size_t i = 0; i < found.gl_pathc; ++i) {
      std::string path = found.gl_pathv[i];
      if (path.size() > 1 && path.back() == '/') {
        path.pop_back(); // GLOB_MARK: a directory
      }
      paths.emplace_back(path);
    }
  }
  ::globfree(&found);
  if (status == GLOB_NOSPACE || status == GLOB_ABORTED) {
    throw usage_error(source.origin + ": cannot expand " + printable(source.text) + ": a directory cannot be read");
  }
  if (paths.empty()) {
    throw usage_error(source.origin + ": no dataset matches " + printable(source.text) +
                      " (quote the pattern so that mdivicom expands it, and check the path)");
  }
  return paths;
}

// The dataset's name without an archive's extension: "ses-01.tar.gz" -> "ses-01".
std::string item_base_name(const fs::path& path)
{
  std::string name = path.filename().string();
  for (const char* suffix : {".tar.gz", ".tar.zst", ".tgz", ".tar", ".zip"}) {
    const std::string_view tail(suffix);
    if (name.size() > tail.size() && name.ends_with(tail)) {
      return name.substr(0, name.size() - tail.size());
    }
  }
  return name;
}

std::optional<std::string> item_name(const fs::path& dataset, const fs::path& root)
{
  if (root.empty()) {
    return item_base_name(dataset);
  }
  if (!is_same_or_within(dataset, root) || resolved_path(dataset) == resolved_path(root)) {
    return std::nullopt;
  }
  fs::path relative = resolved_path(dataset).lexically_relative(resolved_path(root));
  return (relative.parent_path() / item_base_name(relative)).string();
}

// Why an item name cannot be a directory of O, or "".
std::string bad_item_name(const std::string& item)
{
  if (!is_clean_relative_path(item)) {
    return "not a plain relative name";
  }
  size_t start = 0;
  while (start <= item.size()) {
    size_t slash = item.find('/', start);
    std::string part = item.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.front() == '.' || part == "_runs" || part == "_batches") {
      return "'" + part + "' is reserved by mdivicom (names starting with '.', _runs, _batches)";
    }
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  return "";
}

} // namespace

std::vector<DatasetSource> read_dataset_list(const std::string& file)
{
  std::string text;
  std::string name = file;
  fs::path list_dir;
  if (file == "-") {
    name = "standard input";
    std::ostringstream in;
    in << std::cin.rdbuf();
    text = in.str();
  } else {
    text = read_file(file, k_max_list_bytes);
    list_dir = fs::absolute(fs::path(file)).parent_path();
  }
  return parse_dataset_list(text, name, list_dir);
}

std::vector<DatasetSource> parse_dataset_list(const std::string& text, const std::string& name,
                                              const fs::path& list_dir)
{
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '[') {
    return read_json_list(text, name, list_dir);
  }
  return read_text_list(text, name, list_dir);
}

DatasetSelection select_datasets(const std::vector<DatasetSource>& sources, const std::string& root, bool keep_going)
{
  DatasetSelection selection;
  std::vector<std::string> problems;
  std::map<std::string, std::string> origin_of_path;
  std::map<std::string, std::string> path_of_item;
  const fs::path root_path = root.empty() ? fs::path() : resolved_path(root);
  if (!root.empty() && !fs::is_directory(root_path)) {
    throw usage_error("--datasets-root " + printable(root) + " is not a directory");
  }
  for (const DatasetSource& source : sources) {
    for (const fs::path& found : expand(source)) {
      const fs::path path = resolved_path(found);
      const std::string shown = printable(found.string()) + " (" + source.origin + ")";
      std::error_code error;
      if (!fs::is_directory(path, error) && !(fs::is_regular_file(path, error) && is_dataset_archive(path))) {
        std::string why = fs::exists(path, error) ? "neither a directory nor a dataset archive" : "no such directory";
        (keep_going ? selection.missing : problems).push_back(shown + ": " + why);
        continue;
      }
      auto [seen, fresh] = origin_of_path.emplace(path.string(), source.origin);
      if (!fresh) {
        problems.push_back(shown + ": listed twice (also " + seen->second + ")");
        continue;
      }
      std::optional<std::string> item = item_name(path, root_path);
      if (!item) {
        problems.push_back(shown + ": not below --datasets-root " + printable(root));
        continue;
      }
      if (std::string why = bad_item_name(*item); !why.empty()) {
        problems.push_back(shown + ": its item name " + printable(*item) + " cannot be used: " + why);
        continue;
      }
      auto [clash, unique] = path_of_item.emplace(*item, path.string());
      if (!unique) {
        problems.push_back(shown + ": its item name " + printable(*item) + " is also the name of " +
                           printable(clash->second) + " (use --datasets-root to name items by their path)");
        continue;
      }
      selection.datasets.push_back({path, *item, source.origin, source.config});
    }
  }
  if (!problems.empty()) {
    throw usage_error("the batch's datasets cannot be used; nothing was run:" + join_lines(problems));
  }
  if (selection.datasets.empty()) {
    throw usage_error("no dataset to process: give --dataset D (repeatable, globs allowed) or --datasets-from FILE" +
                      (selection.missing.empty() ? std::string() : ";" + join_lines(selection.missing)));
  }
  return selection;
}

} // namespace mdivicom
