#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace mdivicom::test {

// The private cluster tests/slurm/cluster.sh started for this suite (the ctest fixture), found
// through $MDIVICOM_TEST_SLURM_DIR (default: this build tree's) and its env file. A test that
// finds none fails, saying how to start one.
struct TestCluster
{
  std::string dir;
  std::string slurm_conf; // what SLURM_CONF must name for sbatch, squeue, ... to reach it
};
const TestCluster& test_cluster();

// Runs a Slurm client (sbatch, squeue, scontrol, scancel, sacct, ...) against the test cluster.
CommandResult run_slurm(const std::vector<std::string>& argv, CommandOptions options = {});

// sbatch --parsable with these arguments; the job id (an array's own id for --array). Fails the
// test with Slurm's message when sbatch refuses.
std::string submit(const std::vector<std::string>& sbatch_args);

// One task of an array (or a job that is no array, as task -1) as squeue reports it.
struct TaskState
{
  int task = -1;
  std::string job_id;  // the task's own job id; pending tasks not yet split off share the array's
  std::string state;   // PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, TIMEOUT, CANCELLED, ...
  std::string reason;  // None, JobArrayTaskLimit, TimeLimit, NonZeroExitCode, ...
  int wait_status = 0; // as waitpid gives it: 512 is exit code 2, 15 is SIGTERM
};
using ArrayStates = std::map<int, TaskState>;

// Every task of job `id`, pending ones included, from `squeue --states=all --array`: the
// controller keeps a finished job for MinJobAge seconds (300 in the test cluster). Empty once
// the controller has forgotten the job.
ArrayStates read_array_states(const std::string& id);

// A state Slurm will not change any more (COMPLETED, FAILED, TIMEOUT, CANCELLED, ...).
bool is_final(const std::string& state);

// Polls read_array_states (every 0.2 s) until `done` holds and returns those states; fails the
// test, showing the last states, after `timeout`.
ArrayStates wait_for_states(const std::string& id, const std::function<bool(const ArrayStates&)>& done,
                            std::chrono::seconds timeout, const std::string& what);

// Waits until every task of `id` is in a final state.
ArrayStates wait_until_finished(const std::string& id, std::chrono::seconds timeout);

// The final state of each of these job ids (tasks' own ids) in the job completion log, read by
// `sacct --completion`: what stays after the controller forgot the job, on a cluster without
// accounting storage. Slurm 22.05's reader drops the array fields its writer puts in that log,
// so it knows tasks only by their own job ids.
std::map<std::string, std::string> read_completion_states(const std::vector<std::string>& job_ids);

// Lowers the time limit of a running job (or array task, "<array>_<task>") to zero, as its owner
// may: slurmctld's next time-limit check (every 30 s) ends it with TIMEOUT, reason TimeLimit.
// The shortest limit sbatch accepts is a minute, checked up to 30 s late.
void expire_time_limit(const std::string& job_id);

} // namespace mdivicom::test
