#pragma once

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/plugins/plugin.hpp"
#include "lanes/inproc/discovery/entry_points.hpp"
#include "lanes/inproc/discovery/plugin_cache.hpp"
#include "lanes/inproc/discovery/python_env.hpp"

namespace mdivicom::inproc {

// One entry point found on disk, before its get_plugin() is called.
struct Registration
{
  EntryPointDecl entry_point;
  std::vector<std::filesystem::path> stamped_files; // first: the registration itself (dist-info dir or pyproject.toml)
  std::vector<std::filesystem::path> watched_dirs; // stamped too when loading failed: a missing module may appear there
  std::vector<std::filesystem::path> extra_sys_path;       // dev roots: prepended to sys.path
  nlohmann::json origin_fields = nlohmann::json::object(); // added to the plugin object ("distribution", "dev_root")
};

// Seconds one get_plugin() may take: MDIVICOM_GET_PLUGIN_TIMEOUT, default 10.
double get_plugin_timeout_s();

// The plugin of each registration, in order: from the cache when nothing changed, else by
// calling get_plugin() in Python workers (a crash or hang costs only that one plugin, which
// is listed as kind "error"). Never throws for a bad plugin.
std::vector<Plugin> load_registrations(const PythonEnv& env, const std::vector<Registration>& registrations,
                                       PluginCache& cache);

} // namespace mdivicom::inproc
