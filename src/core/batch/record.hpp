#pragma once

// The batch record O/_batches/<batch_id>.json (schemas/batch-record.schema.json): what was
// asked, and per item what was decided and how its run ended. Written when the batch starts,
// rewritten atomically as items finish, finalized at the end, like a run record.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom {

inline constexpr const char* k_batch_record_version = "mdivicom.batch-record.v1";

// What became of an item. not_started: the batch ended first (Ctrl-C, --fail-fast);
// skipped: refused before its run started (its runner said why) or its dataset is missing.
enum class ItemDecision { queued, ran, up_to_date, skipped, not_started };
std::string_view to_string(ItemDecision decision);

struct BatchItemState
{
  std::string item;    // O/<item>/ is the item's output dir
  std::string dataset; // absolute
  std::string plugin;  // the plugin ref as resolved: publisher/id or id
  std::string plugin_id;
  std::optional<std::string> config_hash; // a per-item config's hash; the batch's otherwise
  ItemDecision decision = ItemDecision::queued;
  std::string run_id; // the item's run record: O/<item>/_runs/<run_id>.json
  std::string status; // the run's final status (succeeded, failed, timeout, cancelled, ...)
  std::optional<int> exit_code;
  std::optional<double> duration_s;
  std::string reason;      // why skipped, or the runner's last message for a failure
  std::string log;         // the runner's own output for this item, relative to O
  std::string slurm_state; // --executor slurm: the task's final state and reason
  std::string slurm_reason;
};

class BatchRecord
{
public:
  // A new batch in `out_dir`: picks the batch id, creates O/_batches/ (refusing a link) and
  // writes the record with status "running".
  BatchRecord(const std::filesystem::path& out_dir, nlohmann::json header, std::vector<BatchItemState> items);

  // The record as written, to settle a detached batch later (`batch status`). Throws Error
  // when it cannot be read.
  static BatchRecord load(const std::filesystem::path& path);

  const std::string& id() const { return m_id; }
  const std::string& status() const { return m_status; }
  const std::filesystem::path& path() const { return m_path; }
  std::vector<BatchItemState>& items() { return m_items; }
  const std::vector<BatchItemState>& items() const { return m_items; }
  nlohmann::json& header() { return m_header; }

  // Rewrites the record (atomically, not synced): called as items start and finish.
  void update();
  // The final status ("succeeded", "failed", "cancelled"), summary counts, and a synced write.
  void finalize(const std::string& status);

  nlohmann::json to_json() const;

private:
  BatchRecord() = default;

  std::filesystem::path m_path;
  std::string m_id;
  nlohmann::json m_header;
  std::vector<BatchItemState> m_items;
  std::string m_status = "running";
  std::string m_finished_at;
};

// Counts of decisions and statuses: {"items": N, "succeeded": ..., "failed": ..., ...}.
nlohmann::json batch_summary(const nlohmann::json& items);

// The batch records of O, oldest first (batch ids sort by start time). Unreadable ones are
// returned with an "error" member instead of being skipped silently.
std::vector<nlohmann::json> read_batch_records(const std::filesystem::path& out_dir);

} // namespace mdivicom
