#pragma once

// OutputSlot's memory of parked outputs in its lock file, and giving back those of a run that
// was killed before it settled (the rule: output_slot.hpp).

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace mdivicom {

// Writes "<run_id> <state>" (running, parked) into the slot's lock file `lock_fd`; an empty
// run_id: settled. `dir` (O/<id>) names the slot in the Error thrown when it cannot be written.
void mark_slot_lock(int lock_fd, const std::filesystem::path& dir, const std::string& run_id, const std::string& state);

// Run by the slot of `dir` that now holds the lock (so the run the lock file names is gone):
// puts the earlier outputs that run left parked in runs_dir back into `dir`, moves aside what it
// wrote, finalizes its record and clears the marker. Returns what was done, for the new run's
// record: {killed_run, restored_from, failed_outputs, restored_by}, or null when nothing was
// parked. Throws Error when the outputs cannot be put back.
nlohmann::json recover_killed_run(int lock_fd, const std::filesystem::path& dir, const std::filesystem::path& runs_dir,
                                  const std::string& run_id);

} // namespace mdivicom
