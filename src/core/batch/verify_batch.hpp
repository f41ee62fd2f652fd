#pragma once

// `mdivicom verify O` for a batch's --out: every item's O/<item>/ is an ordinary run output
// directory, verified as `verify O/<item>` would, and the batch gets one summary.

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/records/verify.hpp"

namespace mdivicom {

// One item of the batch: its directory's report, and the worst state of its runs.
struct ItemCheck
{
  std::string item; // O/<item>/
  // "ok"; "mismatch" (a latest run's outputs differ); "bad_record" (a run record is damaged);
  // "unchecked" (no latest run can be checked: it never ran, was killed, or was interrupted).
  std::string state;
  std::string message; // why unchecked or bad, when no run says it
  VerifyReport report; // the item's runs, as `verify O/<item>` reports them
};

struct BatchVerifyReport
{
  std::string source; // the batch's --out
  std::vector<ItemCheck> items;
  bool allow_unchecked = false;

  bool ok() const;
  // {"source", "kind": "batch", "ok", "summary": {"items", "ok", "mismatch", ...}, "items": [...]}
  nlohmann::json to_json() const;
  // One line per item, the differences of failing items beneath, then the summary line.
  std::string to_text() const;
};

// True when `path` is a batch's --out: it holds _batches/ (a batch refuses an --out with _runs/).
bool is_batch_directory(const std::filesystem::path& path);

// The items named in every batch record of `out` (in order of first appearance), each verified.
// Throws a usage Error when no batch record names an item.
BatchVerifyReport verify_batch(const std::filesystem::path& out);

} // namespace mdivicom
