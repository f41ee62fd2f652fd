#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom::inproc {

// [path, mtime_ns, size, inode] for each path, [path, null] for one that is missing.
// Reinstalling or editing a file changes at least one of them.
nlohmann::json stamp_files(const std::vector<std::filesystem::path>& paths);

// True when every stamped file still has the same stamp.
bool stamps_current(const nlohmann::json& stamps);

// get_plugin() results, so that listing unchanged plugins starts no interpreter. One JSON file
// shared by all environments; entries are keyed by the caller and guarded by file stamps.
class PluginCache
{
public:
  // ${XDG_CACHE_HOME:-~/.cache}/mdivicom/python-plugins.json, or empty without a home.
  static std::filesystem::path default_path();

  // An empty path disables caching. A missing or corrupt file is an empty cache.
  explicit PluginCache(std::filesystem::path file);

  // The stored value, if its stamps are still current.
  std::optional<nlohmann::json> lookup(const std::string& key) const;

  void store(const std::string& key, nlohmann::json stamps, nlohmann::json value);

  // Writes the stored entries atomically (temp file + rename), merged with what other
  // processes saved meanwhile; drops entries whose registration (first stamp) is gone.
  // A cache that cannot be written is only a warning.
  void save();

private:
  std::filesystem::path m_file;
  nlohmann::json m_entries = nlohmann::json::object();
  std::map<std::string, nlohmann::json> m_updates;
};

} // namespace mdivicom::inproc
