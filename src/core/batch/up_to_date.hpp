#pragma once

#include <string>
#include <vector>

#include "core/batch/record.hpp"
#include "core/config/config.hpp"
#include "core/plugins/discovery.hpp"
#include "core/run/freshness.hpp"
#include "core/run/run.hpp"

namespace mdivicom {

// One item to check: its plugin and the config it would run with.
struct ItemToCheck
{
  const Plugin& plugin;
  const Config& config;
};

// Checks every item against the latest run of its O/<item>/<plugin id>/ (core/run/freshness.hpp)
// in this process, so that up-to-date items cost no `mdivicom run`: one walk of each dataset
// through one hash cache (saved once), each plugin's code identity taken once. `options` are
// the items' run options (dry run, dataset hash mode, backend, lane options). A dataset that is
// an archive is not checked here (its item's run decides).
std::vector<FreshnessCheck> check_items(const std::filesystem::path& out, const std::vector<BatchItemState>& items,
                                        const std::vector<ItemToCheck>& inputs, const RunOptions& options,
                                        const LaneFactory& lanes);

} // namespace mdivicom
