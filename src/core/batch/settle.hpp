#pragma once

// How an item's end becomes its state in the batch record: from the run record its runner
// wrote, and on Slurm from the task's final state. Shared by the batch that waits for its items
// and by `batch status`, which settles a detached Slurm batch later.

#include <filesystem>
#include <set>
#include <string>

#include "core/batch/local_executor.hpp"
#include "core/batch/record.hpp"

namespace mdivicom {

// The names in O/<item>/_runs before the item ran: its new run record is the one not among them.
std::set<std::string> record_names(const std::filesystem::path& item_out);

// The item's decision, run id, status and duration from the run record its runner wrote (one
// not in `before`); a runner that refused before a run started leaves none (skipped, or not
// started when it was interrupted), and its last line of output is the reason.
void settle_item(BatchItemState& item, const std::filesystem::path& out, const std::set<std::string>& before,
                 const ItemEnd& end);

// A task Slurm ended before its run could finalize its record (time limit, memory, node
// failure, scancel during the start) leaves the record "running": it is finalized here with
// Slurm's state and reason (mdivicom.SlurmEnded).
void settle_slurm_item(BatchItemState& item, const std::filesystem::path& out, const std::string& state,
                       const std::string& reason);

} // namespace mdivicom
