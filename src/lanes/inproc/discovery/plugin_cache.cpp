#include "lanes/inproc/discovery/plugin_cache.hpp"

#include "core/json/bounded.hpp"
#include "core/util/cache_dir.hpp"
#include "core/util/error.hpp"
#include "core/util/file_identity.hpp"
#include "core/util/fs.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>

namespace mdivicom::inproc {

namespace fs = std::filesystem;

namespace {

// Bump when the entry layout or the meaning of a cached result changes (2: stamps are whole
// FileIdentities, no longer [path, mtime_ns, size, inode]).
constexpr const char* k_cache_format = "mdivicom-python-plugins-2";

nlohmann::json stamp_one(const fs::path& path)
{
  auto identity = file_identity_at(AT_FDCWD, path.c_str());
  if (!identity) {
    return {path.string(), nullptr};
  }
  return {path.string(), identity->device, identity->inode, identity->size, identity->mtime_ns, identity->ctime_ns};
}

// True when no stamped file changed within the racy window before now_ns.
bool stamps_settled(const nlohmann::json& stamps, int64_t now_ns)
{
  for (const auto& stamp : stamps) {
    if (stamp.size() == 6 && !is_settled({stamp[1].get<uint64_t>(), stamp[2].get<uint64_t>(), stamp[3].get<uint64_t>(),
                                          stamp[4].get<int64_t>(), stamp[5].get<int64_t>()},
                                         now_ns)) {
      return false;
    }
  }
  return true;
}

nlohmann::json read_entries(const fs::path& file)
{
  std::string text;
  try {
    text = read_file(file);
  } catch (const Error&) {
    return nlohmann::json::object(); // none yet, or unreadable: an empty cache
  }
  auto document = parse_json_bounded(text, false);
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
  auto cache_dir = find_mdivicom_cache_dir();
  return cache_dir ? *cache_dir / "python-plugins.json" : fs::path();
}

PluginCache::PluginCache(fs::path file, int64_t now_ns) : m_file(std::move(file)), m_now_ns(now_ns)
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
  if (!stamps_settled(stamps, m_now_ns)) {
    return; // the next listing asks get_plugin() again, once the files have settled
  }
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
  try {
    write_file_atomic(m_file, document.dump() + "\n", Durability::atomic);
  } catch (const Error& e) {
    spdlog::warn("{}; listings of Python plugins will be slower", e.what());
    return;
  }
  m_updates.clear();
}

} // namespace mdivicom::inproc
