#include "cli/commands.hpp"

#include "core/plugins/manifest_source.hpp"
#include "lanes/inproc/inproc.hpp"

namespace mdivicom::cli {

PluginCatalog make_catalog(const std::string& python_env)
{
  PluginCatalog catalog;
  catalog.add_source(std::make_unique<ManifestDirSource>(manifest_search_path()));
  std::optional<std::filesystem::path> env;
  if (!python_env.empty()) {
    env = python_env;
  }
  for (auto& source : inproc::make_python_sources(env)) {
    catalog.add_source(std::move(source));
  }
  return catalog;
}

} // namespace mdivicom::cli
