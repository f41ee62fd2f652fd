#pragma once

// Entry manifests: where they are looked for, how one is read and checked, and the source that
// lists a directory of them.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/plugins/discovery.hpp"
#include "core/plugins/manifest_problems.hpp"

namespace mdivicom {

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
  // Each directory with its count of *.json files, or why it was skipped.
  void describe_search(PluginSearch& search) const override;

private:
  // Each directory that can be opened, with its *.json names in order.
  void for_each_dir(const std::function<void(const std::filesystem::path& dir, int dir_fd,
                                             const std::vector<std::string>& names)>& visit_dir);

  std::vector<std::filesystem::path> m_dirs;
  std::vector<std::string> m_places; // of the last visit, for describe_search
};

// Loads and validates one manifest file; the error plugin carries every problem found.
Plugin load_manifest(const std::filesystem::path& path);

// Every problem of one manifest file (manifest_problems, or why it cannot be read or parsed);
// empty when valid.
std::vector<ManifestProblem> find_manifest_problems(const std::filesystem::path& path);

// The same as "file: /pointer: message" lines.
std::vector<std::string> check_manifest(const std::filesystem::path& path);

} // namespace mdivicom
