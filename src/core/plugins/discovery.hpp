#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/plugins/plugin.hpp"

namespace mdivicom {

using PluginVisitor = std::function<void(Plugin&&)>;
using SummaryVisitor = std::function<void(PluginSummary&&)>;

// One place plugins come from (entry manifests, Python entry points, ...).
class PluginSource
{
public:
  virtual ~PluginSource() = default;
  // Hands over each plugin found, in order, as soon as it is read, so that a listing of
  // thousands never holds them all. Never throws for a bad registration: that becomes an
  // error plugin.
  virtual void visit(const PluginVisitor& found) = 0;

  // The same plugins, summarized: what a plain listing needs. A source may answer from a
  // cache without loading the plugins.
  virtual void visit_summaries(const SummaryVisitor& found);

  // All of them at once.
  std::vector<Plugin> discover();
};

// The manifest directories, in search order: $MDIVICOM_PLUGIN_PATH (colon-separated),
// ${XDG_DATA_HOME:-~/.local/share}/mdivicom/plugins, then the built-in manifests.
std::vector<std::filesystem::path> manifest_search_path();

// The built-in manifests/ directory: <prefix>/share/mdivicom/manifests next to the installed
// binary, or the source tree's manifests/ when running from the build tree.
std::filesystem::path builtin_manifest_dir();

// *.json entry manifests in a list of directories (missing directories are skipped).
class ManifestDirSource : public PluginSource
{
public:
  explicit ManifestDirSource(std::vector<std::filesystem::path> dirs);
  void visit(const PluginVisitor& found) override;
  // Unchanged manifests come from the listing cache (manifest_cache.hpp).
  void visit_summaries(const SummaryVisitor& found) override;

private:
  // Each directory that can be opened, with its *.json names in order.
  void for_each_dir(const std::function<void(const std::filesystem::path& dir, int dir_fd,
                                             const std::vector<std::string>& names)>& visit_dir);

  std::vector<std::filesystem::path> m_dirs;
};

// Loads and validates one manifest file; the error plugin carries every problem found.
Plugin load_manifest(const std::filesystem::path& path);

// Every problem of one manifest as "file: /pointer: message" lines; empty when valid.
std::vector<std::string> check_manifest(const std::filesystem::path& path);

// All plugins of all sources, in source order; the first of two with the same
// publisher/id wins, as in a PATH search.
class PluginCatalog
{
public:
  void add_source(std::unique_ptr<PluginSource> source);

  // Every plugin in catalog order (shadowed duplicates skipped), one at a time; none is kept.
  void for_each(const std::function<void(const Plugin&)>& found);
  // The same, summarized: `plugins list` without --json.
  void for_each_summary(const std::function<void(const PluginSummary&)>& found);
  std::vector<Plugin> plugins();

  // "<id>" or "<publisher>/<id>". Throws a usage Error: "Plugin not found: <ref>" (with a
  // "did you mean" when a near name exists) or "ambiguous" naming every candidate.
  Plugin resolve(std::string_view ref);

private:
  std::vector<std::unique_ptr<PluginSource>> m_sources;
};

} // namespace mdivicom
