#pragma once

// Is a run needed? The key of the run about to happen (core/run/run_key.hpp) against the latest
// run of the same O/<id>: the rule of README's "Up to date".

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/run/run_key.hpp"

namespace mdivicom {

class FileHashCache;

enum class Freshness {
  no_outputs,         // O/<id> is missing or empty: the run just runs
  up_to_date,         // the latest run succeeded with this key and its outputs are intact
  out_of_date,        // O/<id> holds the outputs of a run that differs (reasons say how)
  unrecorded_outputs, // O/<id> holds files that no run record describes
};

struct FreshnessCheck
{
  Freshness state = Freshness::no_outputs;
  std::string run_id;               // the latest run of O/<id>, compared with; "" when none
  std::vector<std::string> reasons; // why a run is needed, most telling first; empty when up to date

  // One line: "up to date (run <id>)" or the reasons joined with "; ".
  std::string explanation() const;
};

// The current run's key and what --explain compares it with.
struct KeyedRun
{
  const RunKey& key;
  const nlohmann::json& config; // redacted, as the record holds it
};

// Compares `run` with the latest run (core/records/run_order.hpp) of out_root/plugin_id. The
// outputs are checked against that run's inventory through `cache` (unchanged files are
// stat'ed, not read) only when everything else matches.
FreshnessCheck check_freshness(const std::filesystem::path& out_root, const std::string& plugin_id, const KeyedRun& run,
                               FileHashCache& cache);

} // namespace mdivicom
