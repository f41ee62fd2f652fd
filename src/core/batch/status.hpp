#pragma once

// A batch detached on Slurm (`batch --executor slurm --detach`) is left "running" with its job
// id; `batch status` follows it up: it asks the scheduler about the array's tasks, settles the
// items whose tasks ended as the waiting batch would have, and finalizes the record once every
// task has ended (later calls then only read it).

#include <cstddef>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace mdivicom {

// O/_batches/<batch_id>.detached.json: the job id, and per submitted item the names its
// O/<item>/_runs held before (its run is the record not among them). Removed once final.
std::filesystem::path detached_state_path(const std::filesystem::path& record_path);
void save_detached_state(const std::filesystem::path& record_path, const std::string& job_id,
                         const std::map<size_t, std::set<std::string>>& records_before);

// True for a record that a detached batch left for `batch status` to settle.
bool is_detached_and_running(const nlohmann::json& record);

// Settles what has ended of the detached batch whose record is `record_path` and returns the
// record as it is now. Throws Error when the scheduler cannot be asked (squeue missing or failing).
nlohmann::json follow_detached_batch(const std::filesystem::path& out, const std::filesystem::path& record_path);

} // namespace mdivicom
