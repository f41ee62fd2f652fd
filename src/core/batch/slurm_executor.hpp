#pragma once

// Runs a batch's items as one Slurm job array (`sbatch --array=<item indexes>%<throttle>`), each
// task running one item's `mdivicom run` on its node, the way Snakemake's and Nextflow's Slurm
// executors use the Slurm commands: sbatch to submit, squeue to follow, scancel to cancel.

#include <filesystem>
#include <functional>
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
};

// Submits the items, waits for every task to end (polling squeue every second) and returns
// whether it was interrupted: a caught signal cancels the array (scancel) and waits for its
// tasks to end. Throws Error with Slurm's message when sbatch is missing or refuses the job.
bool run_items_on_slurm(const std::vector<size_t>& items, const SlurmExecution& execution);

// Throws a usage Error saying what to do when sbatch, squeue or scancel cannot be run.
void require_slurm_commands();

// --time for sbatch from a timeout in seconds: whole minutes, rounded up, plus one for the run's
// own start and record.
std::string slurm_time_limit(double timeout_s);

} // namespace mdivicom
