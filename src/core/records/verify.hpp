#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom {

// One difference between a run's recorded outputs and what is there now.
struct Mismatch
{
  std::string kind;   // "modified", "missing", "unexpected", "unreadable"
  std::string path;   // relative to the run's output root (UTF-8; invalid bytes replaced)
  std::string detail; // e.g. "sha256 3a7b... != recorded 9c1d..."
};

// The check of one run record.
struct RunCheck
{
  std::string run_id;
  std::string record; // "_runs/<run_id>.json"
  std::string root;   // the output directory it describes, relative to the out root
  // "ok"; "mismatch" (see mismatches); "bad_record" (the record or its inventory is damaged
  // or was edited: see message); "superseded" (a run that finished later wrote the same
  // directory, so only that one is checked); "unchecked" (the latest run of its directory has
  // no outputs inventory: interrupted, killed, or the record was edited; fails verify unless
  // allow_unchecked); "no_inventory" (recorded without outputs and not the latest: nothing to
  // check).
  std::string state;
  std::string message;
  size_t entries_checked = 0;
  std::vector<Mismatch> mismatches;
};

struct VerifyReport
{
  std::string source; // the directory or pack that was verified
  std::vector<RunCheck> runs;
  bool allow_unchecked = false; // --allow-unchecked: an "unchecked" latest run does not fail

  // True when every checked run matched, no record was damaged and (unless allowed) no latest
  // run is unchecked.
  bool ok() const;
  nlohmann::json to_json() const;
  // For people: one line per run, one per mismatch; names and messages through printable().
  std::string to_text() const;
};

// Verifies every run under `out_root` (a directory) or inside a pack made by `pack`
// (.tar.gz/.tgz, .tar.zst, .zip; read as a stream, nothing extracted). For each output
// directory, the latest run (the one that finished last, see core/records/run_order.hpp) is recomputed
// and compared; the others of the same directory are "superseded". A latest run whose
// inventory was interrupted cannot be checked ("no_inventory"), but it still supersedes the
// earlier ones, whose inventories no longer describe the files. Throws a usage Error when the path is missing or
// holds no run record with an outputs inventory.
VerifyReport verify_outputs(const std::filesystem::path& path);

} // namespace mdivicom
