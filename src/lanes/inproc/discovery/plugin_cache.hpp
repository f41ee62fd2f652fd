#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom::inproc {

// [path, device, inode, size, mtime_ns, ctime_ns] for each path (its FileIdentity,
// util/file_identity.hpp), [path, null] for one that is missing. Reinstalling or editing a
// file changes at least one of them.
nlohmann::json stamp_files(const std::vector<std::filesystem::path>& paths);

// True when every stamped file still has the same stamp.
bool stamps_current(const nlohmann::json& stamps);

// get_plugin() results, so that listing unchanged plugins starts no interpreter. One JSON file
// shared by all environments; entries are keyed by the caller and guarded by file stamps, with
// the rule of every cache of mdivicom: a file changed within k_racy_window_ns of being read is
// not trusted, since a second change in the same timestamp tick would keep its stamp.
class PluginCache
{
public:
  // <mdivicom cache dir>/python-plugins.json (util/cache_dir.hpp), or empty without one.
  static std::filesystem::path default_path();

  // An empty path disables caching. A missing or corrupt file is an empty cache. now_ns: a
  // time before any stamped file was read (wall_clock_ns() when discovery starts; tests pass
  // their own).
  PluginCache(std::filesystem::path file, int64_t now_ns);

  // The stored value, if its stamps are still current.
  std::optional<nlohmann::json> lookup(const std::string& key) const;

  // Keeps the value for save(), unless a stamped file was not settled at now_ns.
  void store(const std::string& key, nlohmann::json stamps, nlohmann::json value);

  // Writes the stored entries atomically (temp file + rename), merged with what other
  // processes saved meanwhile; drops entries whose registration (first stamp) is gone.
  // A cache that cannot be written is only a warning.
  void save();

private:
  std::filesystem::path m_file;
  int64_t m_now_ns = 0;
  nlohmann::json m_entries = nlohmann::json::object();
  std::map<std::string, nlohmann::json> m_updates;
};

} // namespace mdivicom::inproc
