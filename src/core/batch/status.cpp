#include "core/batch/status.hpp"

#include "core/batch/record.hpp"
#include "core/batch/settle.hpp"
#include "core/batch/slurm_executor.hpp"
#include "core/json/bounded.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/text_bytes.hpp"
#include "core/util/unique_fd.hpp"

#include <cerrno>
#include <cstring>
#include <optional>

#include <fcntl.h>
#include <sys/file.h>

namespace mdivicom {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// One `batch status` at a time settles the batches of O: two would settle the same item twice.
UniqueFd lock_batches_dir(const fs::path& dir)
{
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd || ::flock(fd.get(), LOCK_EX) != 0) {
    throw Error("cannot lock " + printable(dir.string()) + " to settle a detached batch: " + std::strerror(errno));
  }
  return fd;
}

struct TrackedTask
{
  std::set<std::string> records_before;
  std::string own_job_id;
};

std::map<size_t, TrackedTask> read_tracked(const json& state)
{
  std::map<size_t, TrackedTask> tracked;
  const json before = state.value("records_before", json::object());
  const json own_ids = state.value("task_job_ids", json::object());
  for (const auto& [index, names] : before.items()) {
    TrackedTask& task = tracked[std::stoul(index)];
    for (const json& name : names) {
      task.records_before.insert(name.get<std::string>());
    }
  }
  for (const auto& [index, id] : own_ids.items()) {
    tracked[std::stoul(index)].own_job_id = id.get<std::string>();
  }
  return tracked;
}

// The task of item `index` as the scheduler knows it now; nullopt while it has not split off
// the pending array. A job neither squeue nor accounting knows any more has ended: UNKNOWN, and
// the item's run record tells the rest.
std::optional<SlurmTask> task_now(size_t index, const std::optional<std::map<size_t, SlurmTask>>& live,
                                  const std::map<size_t, SlurmTask>& ended)
{
  if (live) {
    auto found = live->find(index);
    return found == live->end() ? std::nullopt : std::optional<SlurmTask>(found->second);
  }
  if (auto found = ended.find(index); found != ended.end()) {
    return found->second;
  }
  return SlurmTask{"UNKNOWN", "the job is no longer known to squeue or sacct", 0, {}};
}

void settle_task(BatchItemState& item, const fs::path& out, const TrackedTask& tracked, const SlurmTask& task)
{
  settle_item(item, out, tracked.records_before, {slurm_task_exit_code(task), 0});
  if (task.state == "UNKNOWN" && item.status == "succeeded") {
    item.exit_code = 0; // the run's record says it succeeded; Slurm no longer says anything
  }
  settle_slurm_item(item, out, task.state, task.reason);
}

bool item_failed(const BatchItemState& item)
{
  return item.exit_code.value_or(0) != 0 || (item.slurm_state != "COMPLETED" && item.slurm_state != "UNKNOWN");
}

} // namespace

fs::path detached_state_path(const fs::path& record_path)
{
  fs::path path = record_path;
  return path.replace_extension(".detached.json");
}

void save_detached_state(const fs::path& record_path, const std::string& job_id,
                         const std::map<size_t, std::set<std::string>>& records_before)
{
  json before = json::object();
  for (const auto& [index, names] : records_before) {
    before[std::to_string(index)] = names;
  }
  json state = {{"job_id", job_id}, {"records_before", before}, {"task_job_ids", json::object()}};
  write_file_atomic(detached_state_path(record_path), json_file_text(state), Durability::synced);
}

bool is_detached_and_running(const json& record)
{
  const json executor = record.value("executor", json::object());
  return record.value("status", "") == "running" && executor.is_object() && executor.value("detached", false) &&
         executor.value("job_id", json()).is_string();
}

json follow_detached_batch(const fs::path& out, const fs::path& record_path)
{
  UniqueFd lock = lock_batches_dir(record_path.parent_path());
  BatchRecord record = BatchRecord::load(record_path); // again: another status may have settled it
  const fs::path state_path = detached_state_path(record_path);
  std::error_code error;
  if (record.status() != "running" || !fs::exists(state_path, error)) {
    return record.to_json();
  }
  json state = parse_json_bounded(read_file(state_path));
  const std::string job_id = state.value("job_id", "");
  std::map<size_t, TrackedTask> tracked = read_tracked(state);
  const std::optional<std::map<size_t, SlurmTask>> live = read_array_tasks(job_id);
  std::map<size_t, SlurmTask> ended;
  if (!live) {
    std::map<size_t, std::string> own_ids;
    for (const auto& [index, task] : tracked) {
      if (!task.own_job_id.empty()) {
        own_ids[index] = task.own_job_id;
      }
    }
    ended = read_ended_tasks(job_id, own_ids);
  }
  bool pending = false;
  bool failed = record.header().contains("missing_datasets");
  for (auto& [index, task_state] : tracked) {
    if (index >= record.items().size()) {
      continue;
    }
    BatchItemState& item = record.items()[index];
    std::optional<SlurmTask> task = item.decision == ItemDecision::queued ? task_now(index, live, ended) : std::nullopt;
    if (task && !task->job_id.empty() && task->state != "PENDING") { // pending: still the array's id
      task_state.own_job_id = task->job_id;
      state["task_job_ids"][std::to_string(index)] = task->job_id;
    }
    if (task && (is_final_slurm_state(task->state) || task->state == "UNKNOWN")) {
      settle_task(item, out, task_state, *task);
    } else if (task) {
      item.slurm_state = task->state; // live: PENDING, RUNNING, COMPLETING, ...
      item.slurm_reason = task->reason;
    }
    pending = pending || item.decision == ItemDecision::queued;
    failed = failed || (item.decision != ItemDecision::queued && item_failed(item));
  }
  if (pending) {
    // The tasks' own ids are what the completion log knows them by once squeue forgets the job.
    write_file_atomic(state_path, json_file_text(state), Durability::atomic);
    record.update();
    return record.to_json();
  }
  record.finalize(failed ? "failed" : "succeeded");
  fs::remove_all(record_path.parent_path() / (record.id() + ".configs"), error); // no task reads them any more
  fs::remove(state_path, error);
  return record.to_json();
}

} // namespace mdivicom
