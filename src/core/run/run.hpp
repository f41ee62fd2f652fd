#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/plugins/discovery.hpp"
#include "core/util/error.hpp"
#include "core/run/lane.hpp"

namespace mdivicom {

// `mdivicom run` as the user asked for it, before anything is checked.
struct RunOptions
{
  std::string plugin_ref;
  std::string dataset;
  std::string out;
  std::string work;             // empty: a private scratch dir, removed after the run
  std::string config;           // --config: empty, a JSON file path, or JSON text
  std::string backend = "auto"; // auto | python | docker | podman
  bool dry_run = false;
  std::optional<double> timeout_s;
  bool overwrite = false;
  bool force = false;                // run even when up to date (core/run/freshness.hpp)
  bool explain = false;              // say why the run runs or not
  bool echo_output = true;           // show plugin output live on the terminal
  std::string bundle_policy;         // policy for a plugin-written resultbundle.json; empty: the default
  std::string dataset_hash = "full"; // --dataset-hash: full | fast | off (see dataset_identity.hpp)
  nlohmann::json lane_options = nlohmann::json::object(); // engine, pull, python_env, ...
};

// Gives the lane for a plugin kind ("python" or "container"); supplied by the front end so
// that core links no lane.
using LaneFactory = std::function<std::unique_ptr<Lane>(const std::string& kind)>;

// A run that ran, as `run --json` prints it: its final record's status and where things are.
struct RunSummary
{
  std::string run_id;
  std::string status; // the record's: succeeded, failed, ...; "up-to-date" when nothing ran
  std::filesystem::path record;
  std::filesystem::path log;
  std::filesystem::path outputs; // O/<id>
};

// Plan -> execute -> record, the steps of PluginRun (plugin_run.hpp). Returns 0 when the plugin
// succeeded or the run is up to date, 1 when it failed, crashed or timed out, 130 when
// cancelled; throws a usage Error (exit 2) for bad input before any run, and an Error with exit
// 3 when O/<id> holds outputs of a run that differs and overwrite is not set. `summary`, when
// given, is filled once the record is final (for an up-to-date run: the run it is up to date with).
ExitCode run_plugin(PluginCatalog& catalog, const RunOptions& options, const LaneFactory& lanes,
                    RunSummary* summary = nullptr);

// `run --plan`: the plan alone, as the data the front end prints (the plugin, its directories,
// the config redacted and its hash, the lane's exact requests). Throws as run_plugin does for
// bad input; writes nothing in --out and removes the scratch dir it planned with.
nlohmann::json describe_run(PluginCatalog& catalog, const RunOptions& options, const LaneFactory& lanes);

} // namespace mdivicom
