#pragma once

// Runs a batch's items as one Slurm job array (`sbatch --array=<item indexes>%<throttle>`), each
// task running one item's `mdivicom run` on its node, the way Snakemake's and Nextflow's Slurm
// executors use the Slurm commands: sbatch to submit, squeue to follow, scancel to cancel.

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/batch/local_executor.hpp"

namespace mdivicom {

struct SlurmExecution
{
  std::filesystem::path script; // the batch script written and submitted
  std::string job_name;
  std::filesystem::path output_dir;                        // each task's output: <output_dir>/<item index>.log
  unsigned throttle = 0;                                   // at most this many tasks at once (%M); 0: Slurm's choice
  std::vector<std::string> sbatch_options;                 // "--cpus-per-task=2", "--partition=gpu", ...
  std::function<std::vector<std::string>(size_t)> command; // item i's argv
  // Called once item i's task ended, with Slurm's final state (COMPLETED, FAILED, TIMEOUT,
  // CANCELLED, OUT_OF_MEMORY, NODE_FAIL, ...) and reason.
  std::function<void(size_t, const ItemEnd&, const std::string& state, const std::string& reason)> finished;
  std::function<void(size_t)> started;
  std::function<void(const std::string& job_id)> submitted;
  std::function<void()> tick;
  // --detach: return once sbatch accepted the array; `batch status` follows the tasks later.
  bool detach = false;
};

// One array task as the scheduler reports it.
struct SlurmTask
{
  std::string state;   // PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, CANCELLED, OUT_OF_MEMORY, ...
  std::string reason;  // None, TimeLimit, NonZeroExitCode, ...
  int wait_status = 0; // as waitpid gives it (squeue's exit_code)
  std::string job_id;  // the task's own job id, once it split off the array
};

// A state Slurm will not change any more.
bool is_final_slurm_state(const std::string& state);

// Every task of the array `job_id` from `squeue --states=all --array`, pending ones included,
// keyed by array index; nullopt once the controller has forgotten the job (MinJobAge after it
// ended). Throws Error when squeue fails otherwise.
std::optional<std::map<size_t, SlurmTask>> read_array_tasks(const std::string& job_id);

// The final states of the tasks of a job squeue has forgotten: from sacct where accounting
// answers, else from the job completion log (`sacct --completion`, which knows tasks only by
// their own job ids, `own_ids`: index -> id). Tasks neither knows are left out.
std::map<size_t, SlurmTask> read_ended_tasks(const std::string& job_id, const std::map<size_t, std::string>& own_ids);

// The exit code an ended task stands for: 0 only for COMPLETED.
int slurm_task_exit_code(const SlurmTask& task);

// Submits the items, waits for every task to end (polling squeue every half second; with
// `detach`, not at all) and returns whether it was interrupted: a caught signal cancels the array (scancel) and waits
// for its tasks to end. Throws Error with Slurm's message when sbatch is missing or refuses the job.
bool run_items_on_slurm(const std::vector<size_t>& items, const SlurmExecution& execution);

// Throws a usage Error saying what to do when sbatch, squeue or scancel cannot be run.
void require_slurm_commands();

// --time for sbatch from a timeout in seconds: whole minutes, rounded up, plus one for the run's
// own start and record.
std::string slurm_time_limit(double timeout_s);

} // namespace mdivicom
