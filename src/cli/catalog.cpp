#include "cli/commands.hpp"

namespace mdivicom::cli {

PluginCatalog make_catalog()
{
  PluginCatalog catalog;
  catalog.add_source(std::make_unique<ManifestDirSource>(manifest_search_path()));
  return catalog;
}

} // namespace mdivicom::cli
