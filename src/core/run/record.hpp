#pragma once

#include "core/util/fs.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/run/lane.hpp"
#include "core/run/plan.hpp"

namespace mdivicom {

// The record written to O/_runs/<run_id>.json before the plugin starts (status "running").
nlohmann::json initial_record(const RunPlan& plan);

// Adds the outcome (status, times, exit code, signal, error, lane facts) to the record.
void add_outcome(nlohmann::json& record, const RunOutcome& outcome, const std::string& started_at,
                 const std::string& finished_at, double duration_s);

// Validates against schemas/run-record.schema.json and writes atomically. A record that fails
// its own schema is a bug in mdivicom: it is still written (losing it would be worse) and
// the violations are logged.
void write_record(const std::filesystem::path& path, const nlohmann::json& record,
                  Durability durability = Durability::synced);

// Space for final records, one file per output directory (O/_runs/.<id>.reserve, allocated
// with fallocate by the first run that lacks it, then kept: a run costs one stat). When a final
// record does not fit (a plugin filled the disk), the reserve is given up and the record written
// in its space; the next run of the directory makes it again. Held under the slot's lock.
class RecordReserve
{
public:
  static constexpr uint64_t k_bytes = uint64_t{8} << 20; // a record embeds up to 10,000 entries

  // Throws a usage Error naming the path when the space cannot be had: the disk is already full.
  RecordReserve(const std::filesystem::path& runs_dir, const std::string& plugin_id);

  // Gives the space up; false when there was none to give.
  bool release() noexcept;

private:
  std::filesystem::path m_path;
};

} // namespace mdivicom
