#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom {

// One run record file O/_runs/<run_id>.json, as found on disk.
struct RecordFile
{
  std::string name; // "_runs/<run_id>.json", relative to the out root
  std::string run_id;
  nlohmann::json record; // null when `error` is set
  std::string error;     // unreadable or not a JSON object
};

// True for names of the form <run_id>.json (run_id: 20250101T120000Z_0123abcd).
bool is_record_file_name(const std::string& name);

// Every run record under out_root/_runs, sorted by run id (which sorts by start time, to the
// second; core/records/run_order.hpp decides which run of a directory is the latest). Other files in
// _runs (logs, inventories, parked outputs) are not records and are left out. No _runs is no
// records; throws Error when _runs exists but cannot be listed.
std::vector<RecordFile> scan_run_records(const std::filesystem::path& out_root);

// Parses the text of a record file (also used for records read out of a pack).
RecordFile parse_record(std::string name, const std::string& text);

// True when the run's files are in its output directory: the record has an outputs inventory,
// or its inventory was interrupted (the plugin's files were settled there first). Such a run
// is a candidate for the latest of its directory even when it cannot be checked.
bool wrote_output_dir(const nlohmann::json& record);

// The record's output directory relative to the out root: outputs.root when the record has an
// inventory, else where its files were left relative to out_dir: previous_outputs.failed_outputs
// (a failed run whose earlier outputs were put back), else plugin_out_dir. Nullopt when neither gives a relative
// path without ".." (a hostile or foreign record).
std::optional<std::string> record_outputs_root(const nlohmann::json& record);

} // namespace mdivicom
