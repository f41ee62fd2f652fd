#include "lanes/inproc/discovery/code_identity.hpp"

#include "core/dataset/identity.hpp"
#include "core/hash/sha256.hpp"
#include "core/json/bounded.hpp"
#include "core/util/fs.hpp"
#include "lanes/inproc/discovery/pyproject.hpp"

#include <algorithm>
#include <string_view>

namespace mdivicom::inproc {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::uintmax_t k_max_record_bytes = std::uintmax_t{16} << 20;

// Not code: caches, virtual environments and VCS data below a source dir.
const std::vector<std::string> k_not_code_dirs = {".git",          ".hg",         "__pycache__", ".mypy_cache",
                                                  ".pytest_cache", ".ruff_cache", ".tox",        ".nox",
                                                  ".venv",         "venv",        "node_modules"};

// One CSV field of a RECORD line (PEP 376: csv module's default dialect), from `at`.
std::string csv_field(std::string_view line, size_t& at)
{
  std::string field;
  if (at < line.size() && line[at] == '"') {
    for (++at; at < line.size(); ++at) {
      if (line[at] == '"') {
        if (at + 1 < line.size() && line[at + 1] == '"') {
          field.push_back('"');
          ++at;
          continue;
        }
        ++at;
        break;
      }
      field.push_back(line[at]);
    }
  } else {
    const size_t comma = line.find(',', at);
    field = line.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
    at = comma == std::string_view::npos ? line.size() : comma;
  }
  if (at < line.size() && line[at] == ',') {
    ++at;
  }
  return field;
}

} // namespace

std::vector<CodeFile> record_files(std::string_view text)
{
  std::vector<CodeFile> files;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    size_t at = 0;
    std::string path = csv_field(line, at);
    std::string hash = csv_field(line, at);
    if (!path.empty() && !hash.empty()) {
      files.push_back({std::move(path), std::move(hash)});
    }
  }
  std::sort(files.begin(), files.end(), [](const CodeFile& a, const CodeFile& b) { return a.path < b.path; });
  return files;
}

namespace {

std::string files_sha256(const std::vector<CodeFile>& files)
{
  Sha256 hash;
  for (const CodeFile& file : files) {
    hash.update(json::array({file.path, file.hash}).dump());
    hash.update("\n");
  }
  return hash.hex_digest();
}

// Every file below the dirs, named "<dir's name>/<path>", from the dataset fingerprint's walk.
std::vector<CodeFile> source_files(const std::vector<fs::path>& dirs)
{
  std::vector<CodeFile> files;
  for (const fs::path& dir : dirs) {
    std::error_code error;
    if (!fs::is_directory(dir, error)) {
      continue;
    }
    std::vector<std::string> lines;
    DatasetIdentityOptions options;
    options.excluded_dir_names = k_not_code_dirs;
    options.lines = &lines;
    options.progress = false;
    dataset_identity(dir, DatasetHashMode::full, options);
    for (const std::string& line : lines) {
      json entry = parse_json_bounded(line, false);
      if (!entry.is_array() || entry.size() < 2 || !entry[0].is_string()) {
        continue;
      }
      std::string path = entry[0].get<std::string>();
      if (path.ends_with(".pyc")) {
        continue;
      }
      files.push_back(
          {(dir.filename() / path).string(), entry.back().is_string() ? entry.back().get<std::string>() : ""});
    }
  }
  std::sort(files.begin(), files.end(), [](const CodeFile& a, const CodeFile& b) { return a.path < b.path; });
  return files;
}

} // namespace

std::vector<fs::path> entry_python_path(const Plugin& plugin)
{
  std::vector<fs::path> dirs;
  auto python_path = plugin.entry().find("python_path");
  if (python_path == plugin.entry().end() || !python_path->is_array()) {
    return dirs;
  }
  // Relative entries are relative to the manifest's dir.
  fs::path base = fs::path(plugin.object.value("manifest_path", std::string())).parent_path();
  for (const auto& item : *python_path) {
    if (item.is_string()) {
      fs::path dir = item.get<std::string>();
      dirs.push_back((dir.is_absolute() ? dir : base / dir).lexically_normal());
    }
  }
  return dirs;
}

CodeIdentity python_code_identity(const Plugin& plugin)
{
  CodeIdentity identity;
  identity.summary = {{"interpreter", MDIVICOM_PYTHON_FULL_VERSION}};
  json& summary = identity.summary;
  const json distribution = plugin.object.value("distribution", json());
  const json dev_root = plugin.object.value("dev_root", json());
  if (distribution.is_object() && distribution.contains("path") && distribution["path"].is_string()) {
    summary["source"] = "distribution";
    summary["name"] = distribution.value("name", json());
    summary["version"] = distribution.value("version", json());
    const fs::path record = fs::path(distribution["path"].get<std::string>()) / "RECORD";
    try {
      identity.files = record_files(read_file(record, k_max_record_bytes));
      summary["files_sha256"] = files_sha256(identity.files);
    } catch (const Error&) {
      summary["files_sha256"] = nullptr; // no RECORD (an egg-info install): the version must do
    }
    return identity;
  }
  std::vector<fs::path> dirs = entry_python_path(plugin);
  if (dev_root.is_string()) {
    summary["source"] = "dev_root";
    summary["path"] = dev_root;
    for (fs::path& dir : dev_root_import_dirs(dev_root.get<std::string>())) {
      dirs.insert(dirs.begin(), std::move(dir));
    }
  } else if (!dirs.empty()) {
    summary["source"] = "python_path";
  } else {
    summary["source"] = "environment";
    return identity;
  }
  identity.files = source_files(dirs);
  summary["files_sha256"] = files_sha256(identity.files);
  return identity;
}

} // namespace mdivicom::inproc
