#pragma once

#include <functional>

#include "core/config/config.hpp"
#include "core/run/run.hpp"

namespace mdivicom {

// A run fully resolved and checked, ready to execute; nothing on disk changed yet.
struct RunPlan
{
  RunRequest request;
  Config config;
  bool work_dir_given = false;
};

// Resolves the plugin, loads and checks the config, checks the directories. Throws a usage
// Error naming what is wrong and how to fix it.
// on_resolved is called as soon as the plugin is known, before the rest is checked.
RunPlan plan_run(PluginCatalog& catalog, const RunOptions& options,
                 const std::function<void(const Plugin&)>& on_resolved = {});

} // namespace mdivicom
