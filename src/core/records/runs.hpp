#pragma once

// The runs under an output directory, for people: `mdivicom runs` (a table, one record) and
// `mdivicom report` (HTML). Read only from the records; nothing here checks outputs (verify does).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/records/run_order.hpp"

namespace mdivicom {

// One run record, with what the table shows taken out of it. Records are read as hostile input:
// a field of the wrong type is left empty, never trusted or thrown on.
struct RunRow
{
  std::string item;        // a batch's O/<item>/ holding the run; "" for a run directly under O
  std::string run_id;      // from the record's file name
  std::string record_path; // relative to O: "[<item>/]_runs/<run_id>.json"
  std::string plugin;      // plugin.id
  std::string status;      // the record's, or "unreadable"
  std::string started_at;  // as recorded (RFC 3339)
  std::string finished_at;
  std::optional<double> duration_s;
  std::optional<double> cpu_s;               // resources.cpu_s
  std::optional<uint64_t> peak_memory_bytes; // resources.peak_memory_bytes
  std::optional<uint64_t> file_count;        // outputs.file_count (entries)
  std::optional<uint64_t> total_bytes;       // outputs.total_bytes
  std::string error;                         // "type: message", or why the record is unreadable
  bool latest = false;                       // the latest run of its output directory (run_order.hpp)
  RunOrder order;
  nlohmann::json record; // null when unreadable

  // Ended any other way than succeeded (and not still running): reports list these first.
  bool failed() const;
};

struct RunFilter
{
  std::string plugin; // plugin id; "" for all
  std::string status; // a record status; "" for all
};

struct RunList
{
  std::filesystem::path out;
  bool batch = false;       // O/_batches/ exists: the runs are those of every O/<item>/
  std::vector<RunRow> rows; // in start order (run_order.hpp), item names breaking ties
  size_t unfiltered = 0;    // rows before the filter
};

// Every run record under `out` (O/_runs/, and for a batch directory every O/<item>/_runs/,
// found without following links), filtered. Throws a usage Error when `out` holds neither
// _runs/ nor _batches/.
RunList list_runs(const std::filesystem::path& out, const RunFilter& filter = {});

// The run with this id; null when none. Ids are unique in practice (8 random hex digits).
const RunRow* find_run(const RunList& runs, const std::string& run_id);

// The rows as `runs --json` prints them: {"out", "batch", "runs": [{"item"?, "run_id", ...}]}.
nlohmann::json runs_to_json(const RunList& runs);

// A string field of a record, or "" when it is missing or not a string.
std::string record_text(const nlohmann::json& object, const char* key);
// An object field of a record, or an empty object when it is missing or not an object.
const nlohmann::json& record_object(const nlohmann::json& object, const char* key);

// "0.42 s", "12.3 s", "3 min 05 s", "2 h 04 min": durations and CPU times in listings.
std::string format_seconds(double seconds);

// "2026-11-25 09:41:07": a record timestamp shortened for a table (the text as is if not RFC 3339).
std::string short_time(const std::string& timestamp);

} // namespace mdivicom
