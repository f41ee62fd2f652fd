#include "core/discovery.hpp"

#include "build_info.hpp"
#include "core/error.hpp"
#include "core/json_schema.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

#include <unistd.h>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

// Manifests larger than this are refused unread: no real manifest comes near it.
constexpr std::uintmax_t k_max_manifest_bytes = 4 * 1024 * 1024;

fs::path executable_dir()
{
  std::error_code error;
  fs::path exe = fs::read_symlink("/proc/self/exe", error);
  return error ? fs::path() : exe.parent_path();
}

bool is_within(const fs::path& path, const fs::path& dir)
{
  auto [dir_end, path_it] = std::mismatch(dir.begin(), dir.end(), path.begin(), path.end());
  return dir_end == dir.end();
}

std::vector<std::string> split_path_list(const char* value)
{
  std::vector<std::string> parts;
  if (value == nullptr) {
    return parts;
  }
  std::stringstream stream(value);
  std::string part;
  while (std::getline(stream, part, ':')) {
    if (!part.empty()) {
      parts.push_back(part);
    }
  }
  return parts;
}

struct LoadedJson
{
  nlohmann::json value;
  std::string problem; // set when the file could not be read or parsed
};

LoadedJson read_json_file(const fs::path& path)
{
  std::error_code error;
  auto size = fs::file_size(path, error);
  if (error) {
    return {{}, "cannot read: " + error.message()};
  }
  if (size > k_max_manifest_bytes) {
    return {{}, "file is " + std::to_string(size) + " bytes; a manifest may have at most " +
                  std::to_string(k_max_manifest_bytes)};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return {{}, "cannot open for reading"};
  }
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return {nlohmann::json::parse(text.str()), ""};
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's message starts with "[json.exception.parse_error.101] parse error at ..."
    std::string message = e.what();
    auto start = message.find("parse error");
    return {{}, "malformed JSON: " + (start == std::string::npos ? message : message.substr(start))};
  }
}

// valijson's wording, made specific where a user most often trips.
std::string friendly(const SchemaViolation& violation)
{
  const std::string& message = violation.message;
  auto got = message.find(" (got ");
  std::string value = got == std::string::npos ? "" : message.substr(got);
  bool pattern = message.find("'pattern'") != std::string::npos;
  if (pattern && (violation.pointer == "/meta/id" || violation.pointer == "/meta/publisher")) {
    return "must be a slug: lowercase letters, digits, '.', '_' or '-', starting with a letter or digit" + value;
  }
  if (pattern && violation.pointer == "/entry/callable") {
    return "must be 'module:function', e.g. 'my_package.run:run'" + value;
  }
  if (violation.pointer.empty() && message.find("'type'") != std::string::npos) {
    return "a manifest must be a JSON object {\"meta\": {...}, \"entry\": {...}}";
  }
  return message;
}

std::vector<std::string> manifest_problems(const nlohmann::json& manifest)
{
  std::vector<std::string> problems;
  for (const auto& violation : JsonSchema::builtin("plugin-manifest").validate(manifest)) {
    problems.push_back((violation.pointer.empty() ? "/" : violation.pointer) + ": " + friendly(violation));
  }
  return problems;
}

std::string join(const std::vector<std::string>& parts, const std::string& separator)
{
  std::string result;
  for (const auto& part : parts) {
    result += (result.empty() ? "" : separator) + part;
  }
  return result;
}

size_t edit_distance(const std::string& a, const std::string& b)
{
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

} // namespace

fs::path builtin_manifest_dir()
{
  fs::path exe_dir = executable_dir();
  fs::path installed = exe_dir.parent_path() / "share" / "mdivicom" / "manifests";
  std::error_code error;
  if (!exe_dir.empty() && fs::is_directory(installed, error)) {
    return installed;
  }
  if (!exe_dir.empty() && is_within(exe_dir, fs::path(build_info::k_binary_dir))) {
    return fs::path(build_info::k_source_dir) / "manifests";
  }
  return fs::path(build_info::k_install_datadir) / "mdivicom" / "manifests";
}

std::vector<fs::path> manifest_search_path()
{
  std::vector<fs::path> dirs;
  for (const auto& dir : split_path_list(std::getenv("MDIVICOM_PLUGIN_PATH"))) {
    dirs.emplace_back(dir);
  }
  const char* xdg = std::getenv("XDG_DATA_HOME");
  const char* home = std::getenv("HOME");
  if (xdg != nullptr && *xdg != '\0') {
    dirs.push_back(fs::path(xdg) / "mdivicom" / "plugins");
  } else if (home != nullptr && *home != '\0') {
    dirs.push_back(fs::path(home) / ".local" / "share" / "mdivicom" / "plugins");
  }
  dirs.push_back(builtin_manifest_dir());
  return dirs;
}

std::vector<std::string> check_manifest(const fs::path& path)
{
  LoadedJson loaded = read_json_file(path);
  if (!loaded.problem.empty()) {
    return {path.string() + ": " + loaded.problem};
  }
  std::vector<std::string> problems;
  for (const auto& problem : manifest_problems(loaded.value)) {
    problems.push_back(path.string() + ": " + problem);
  }
  return problems;
}

Plugin load_manifest(const fs::path& path)
{
  PluginOrigin origin;
  origin.manifest_path = path.string();
  LoadedJson loaded = read_json_file(path);
  if (!loaded.problem.empty()) {
    return error_plugin(origin, path.stem().string(), loaded.problem);
  }
  std::vector<std::string> problems = manifest_problems(loaded.value);
  if (!problems.empty()) {
    std::string id = path.stem().string();
    const auto* meta_id = loaded.value.is_object() ? loaded.value.value("/meta/id"_json_pointer, nlohmann::json()).get_ptr<const std::string*>() : nullptr;
    if (meta_id != nullptr && is_valid_slug(*meta_id)) {
      id = *meta_id;
    }
    return error_plugin(origin, id, join(problems, "; "));
  }
  return normalize_plugin(std::move(loaded.value), origin);
}

ManifestDirSource::ManifestDirSource(std::vector<fs::path> dirs) : m_dirs(std::move(dirs)) {}

std::vector<Plugin> ManifestDirSource::discover()
{
  std::vector<Plugin> plugins;
  for (const auto& dir : m_dirs) {
    std::error_code error;
    if (!fs::is_directory(dir, error)) {
      continue;
    }
    std::vector<fs::path> files;
    for (const auto& item : fs::directory_iterator(dir, error)) {
      if (item.path().extension() == ".json" && !item.is_directory(error)) {
        files.push_back(item.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      plugins.push_back(load_manifest(file));
    }
  }
  return plugins;
}

void PluginCatalog::add_source(std::unique_ptr<PluginSource> source)
{
  m_sources.push_back(std::move(source));
  m_loaded = false;
}

const std::vector<Plugin>& PluginCatalog::plugins()
{
  if (m_loaded) {
    return m_plugins;
  }
  m_plugins.clear();
  std::set<std::string> seen;
  for (const auto& source : m_sources) {
    for (auto& plugin : source->discover()) {
      // Error entries are always listed: hiding one would hide the reason a plugin is missing.
      if (!plugin.is_error() && !seen.insert(plugin.ref()).second) {
        continue;
      }
      m_plugins.push_back(std::move(plugin));
    }
  }
  m_loaded = true;
  return m_plugins;
}

const Plugin& PluginCatalog::resolve(std::string_view ref_view)
{
  std::string ref(ref_view);
  const auto& all = plugins();
  auto slash = ref.find('/');
  std::vector<const Plugin*> matches;
  for (const auto& plugin : all) {
    bool match = slash == std::string::npos
                   ? plugin.id() == ref
                   : plugin.publisher() == ref.substr(0, slash) && plugin.id() == ref.substr(slash + 1);
    if (match) {
      matches.push_back(&plugin);
    }
  }
  if (matches.size() == 1) {
    if (matches[0]->is_error()) {
      throw usage_error("plugin " + ref + " cannot be used: " + matches[0]->origin() + ": " +
                        matches[0]->object.value("error", std::string("invalid registration")));
    }
    return *matches[0];
  }
  if (matches.size() > 1) {
    std::vector<std::string> candidates;
    for (const auto* plugin : matches) {
      candidates.push_back(plugin->ref());
    }
    throw usage_error("Plugin reference '" + ref + "' is ambiguous; use one of: " + join(candidates, ", "));
  }
  std::string message = "Plugin not found: " + ref;
  std::string best;
  size_t best_distance = 3;
  for (const auto& plugin : all) {
    for (const auto& candidate : {plugin.id(), plugin.ref()}) {
      size_t distance = edit_distance(ref, candidate);
      if (distance < best_distance) {
        best_distance = distance;
        best = candidate;
      }
    }
  }
  if (!best.empty()) {
    message += " (did you mean '" + best + "'?)";
  }
  throw usage_error(message + "; 'mdivicom plugins list' shows the plugins found");
}

} // namespace mdivicom
