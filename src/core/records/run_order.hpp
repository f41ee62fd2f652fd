#pragma once

// Which run of an output directory is the latest: the one rule that verify, the RO-Crate
// built from every record and the RO-Crate updated one run at a time all follow.

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mdivicom {

// The place of a run among the runs of one output directory. A later place means the run
// settled the directory later. Run ids resolve to one second only, so two runs in the same
// second would be taken in the wrong order half the time; the record's times have
// microseconds. Runs into one O/<id> take turns (its lock), so on one machine the run that
// finished last is the one whose files are there. The times come from the wall clock: a clock
// set back between two runs can still mislead this, as it would mislead the run ids.
struct RunOrder
{
  // finished_at, or started_at for a record without it (one written by another tool; a
  // record of this mdivicom that has outputs always has both). Microseconds since the epoch,
  // nullopt (first) when absent or unreadable.
  std::optional<int64_t> settled_us;
  std::optional<int64_t> started_us;
  std::string run_id; // the tie-break: equal times, or no times at all

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 sees a literal 0 in a defaulted <=>
  auto operator<=>(const RunOrder&) const = default;
};

// From the times as a record (started_at, else created_at; finished_at) or a crate's
// CreateAction (startTime; endTime) gives them, so both orders agree.
RunOrder run_order(const std::string& run_id, std::string_view started_at, std::string_view finished_at);
RunOrder record_run_order(const std::string& run_id, const nlohmann::json& record);

// The record's start: started_at, or created_at when it has none. The RO-Crate's startTime.
std::string record_started_at(const nlohmann::json& record);

// An RFC 3339 timestamp as records hold it ("2026-11-25T09:41:07.123456Z", any number of
// fraction digits, "Z" or "+hh:mm") in microseconds since the epoch; nullopt otherwise.
std::optional<int64_t> timestamp_micros(std::string_view text);

// The latest run of each output directory among those offered. `key` is the caller's handle
// of a run (an index into its list of records).
class LatestRuns
{
public:
  void offer(const std::string& root, size_t key, RunOrder order);
  bool is_latest(const std::string& root, size_t key) const;
  bool empty() const { return m_latest.empty(); }

private:
  struct Latest
  {
    RunOrder order;
    size_t key = 0;
  };
  std::map<std::string, Latest> m_latest;
};

} // namespace mdivicom
