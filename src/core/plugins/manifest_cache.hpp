#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/util/file_identity.hpp"
#include "core/plugins/plugin.hpp"

namespace mdivicom {

// What earlier listings learned about one directory of entry manifests: the summary of each
// valid manifest (PluginSummary, what a plain listing prints), keyed by its FileIdentity
// (util/file_identity.hpp), so that an unchanged manifest costs one fstatat instead of open, read,
// close, a parse and a schema check. One file per directory, written by one mdivicom binary (a rebuilt or upgraded one
// starts afresh); a damaged or foreign file is ignored and replaced. Not thread-safe: find() may run on several threads
// only while nothing is remembered.
class ManifestDirCache
{
public:
  // cache_dir: where the cache files are (empty: no cache); now_ns: the clock of the racy
  // rule (wall_clock_ns(); tests pass their own).
  ManifestDirCache(const std::filesystem::path& dir, const std::filesystem::path& cache_dir, int64_t now_ns);
  // <mdivicom_cache_dir()>/manifests, or empty when there is no cache directory.
  static std::filesystem::path default_dir();

  // The summary of the manifest `name` when its identity is still `key`.
  std::optional<PluginSummary> find(const std::string& name, const FileIdentity& key) const;

  // Remembers a valid manifest just read. Files changed within the last seconds are not
  // remembered: on file systems with coarse timestamps a second change in the same tick would
  // keep the identity.
  void remember(const std::string& name, const FileIdentity& key, const PluginSummary& summary);

  // Writes the cache when the listing found anything it did not have or no longer found an
  // entry it had. `names` are the directory's manifests now, sorted. Never throws: a cache
  // that cannot be written only makes the next listing slower.
  void save(const std::vector<std::string>& names);

private:
  struct Entry
  {
    FileIdentity key;
    std::string publisher;
    std::string id;
    std::string kind;
    std::string version;
  };

  void load();

  std::filesystem::path m_dir;
  std::filesystem::path m_file; // empty: no cache for this directory
  std::string m_header;
  int64_t m_now_ns = 0;
  std::unordered_map<std::string, Entry> m_entries; // by file name
  bool m_changed = false;
};

} // namespace mdivicom
