#include "lanes/inproc/discovery/plugin_cache.hpp"

#include "core/json/bounded.hpp"

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom::inproc {

namespace fs = std::filesystem;

namespace {

// Bump when the entry layout or the meaning of a cached result changes.
constexpr const char* k_cache_format = "mdivicom-python-plugins-1";

nlohmann::json stamp_one(const fs::path& path)
{
  struct stat info = {};
  if (stat(path.c_str(), &info) != 0) {
    return {path.string(), nullptr};
  }
  long long mtime_ns = static_cast<long long>(info.st_mtim.tv_sec) * 1'000'000'000LL + info.st_mtim.tv_nsec;
  return {path.string(), mtime_ns, static_cast<unsigned long long>(info.st_size),
          static_cast<unsigned long long>(info.st_ino)};
}

nlohmann::json read_entries(const fs::path& file)
{
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return nlohmann::json::object();
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto document = parse_json_bounded(text.str(), false);
  if (document.is_discarded() || !document.is_object() || document.value("format", "") != k_cache_format) {
    return nlohmann::json::object();
  }
  auto entries = document.find("entries");
  return entries != document.end() && entries->is_object() ? *entries : nlohmann::json::object();
}

bool registration_exists(const nlohmann::json& entry)
{
  const auto* stamps = entry.is_object() && entry.contains("stamps") ? &entry["stamps"] : nullptr;
  if (stamps == nullptr || !stamps->is_array() || stamps->empty() || !(*stamps)[0].is_array() ||
      !(*stamps)[0][0].is_string()) {
    return false;
  }
  std::error_code error;
  return fs::exists((*stamps)[0][0].get<std::string>(), error);
}

} // namespace

nlohmann::json stamp_files(const std::vector<fs::path>& paths)
{
  nlohmann::json stamps = nlohmann::json::array();
  for (const auto& path : paths) {
    stamps.push_back(stamp_one(path));
  }
  return stamps;
}

bool stamps_current(const nlohmann::json& stamps)
{
  if (!stamps.is_array()) {
    return false;
  }
  for (const auto& stamp : stamps) {
    if (!stamp.is_array() || stamp.empty() || !stamp[0].is_string() ||
        stamp != stamp_one(stamp[0].get<std::string>())) {
      return false;
    }
  }
  return true;
}

fs::path PluginCache::default_path()
{
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  fs::path base;
  if (xdg != nullptr && *xdg == '/') {
    base = xdg;
  } else if (home != nullptr && *home == '/') {
    base = fs::path(home) / ".cache";
  } else {
    return {};
  }
  return base / "mdivicom" / "python-plugins.json";
}

PluginCache::PluginCache(fs::path file) : m_file(std::move(file))
{
  if (!m_file.empty()) {
    m_entries = read_entries(m_file);
  }
}

std::optional<nlohmann::json> PluginCache::lookup(const std::string& key) const
{
  auto it = m_entries.find(key);
  if (it == m_entries.end() || !it->is_object() || !it->contains("value") ||
      !stamps_current(it->value("stamps", nlohmann::json()))) {
    return std::nullopt;
  }
  return (*it)["value"];
}

void PluginCache::store(const std::string& key, nlohmann::json stamps, nlohmann::json value)
{
  nlohmann::json entry = {{"stamps", std::move(stamps)}, {"value", std::move(value)}};
  m_entries[key] = entry;
  m_updates[key] = std::move(entry);
}

void PluginCache::save()
{
  if (m_file.empty() || m_updates.empty()) {
    return;
  }
  std::error_code error;
  fs::create_directories(m_file.parent_path(), error);
  nlohmann::json entries = read_entries(m_file);
  for (auto& [key, entry] : m_updates) {
    entries[key] = entry;
  }
  nlohmann::json kept = nlohmann::json::object();
  for (auto& [key, entry] : entries.items()) {
    if (registration_exists(entry)) {
      kept[key] = std::move(entry);
    }
  }
  nlohmann::json document = {{"format", k_cache_format}, {"entries", std::move(kept)}};
  std::random_device random;
  fs::path temp = m_file;
  temp += ".tmp." + std::to_string(getpid()) + "." + std::to_string(random());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << document.dump() << '\n';
    out.flush();
    if (!out) {
      spdlog::warn("cannot write the plugin cache {}; listings will be slower", temp.string());
      fs::remove(temp, error);
      return;
    }
  }
  fs::rename(temp, m_file, error);
  if (error) {
    spdlog::warn("cannot update the plugin cache {}: {}", m_file.string(), error.message());
    fs::remove(temp, error);
    return;
  }
  m_updates.clear();
}

} // namespace mdivicom::inproc
