#include "core/batch/slurm_executor.hpp"

#include "core/util/command.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/interrupt.hpp"
#include "core/util/text_bytes.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <sys/stat.h>

namespace mdivicom {

namespace {

using Clock = std::chrono::steady_clock;

std::string shell_quote(const std::string& text)
{
  std::string quoted = "'";
  for (char c : text) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

// The script: a case over SLURM_ARRAY_TASK_ID, each branch exec'ing one item's run, so that
// the task's exit code and signals are the run's own.
std::string batch_script(const std::vector<size_t>& items, const SlurmExecution& execution)
{
  std::string script = "#!/bin/sh\n# Written by mdivicom batch; one array task per item.\n";
  script += "#SBATCH --job-name=" + execution.job_name + "\n";
  script += "#SBATCH --output=" + (execution.output_dir / "%a.log").string() + "\n";
  script += "case \"$SLURM_ARRAY_TASK_ID\" in\n";
  for (size_t item : items) {
    script += std::to_string(item) + ") exec";
    for (const std::string& arg : execution.command(item)) {
      script += " " + shell_quote(arg);
    }
    script += " ;;\n";
  }
  script += "esac\necho \"mdivicom: no item for array task $SLURM_ARRAY_TASK_ID\" >&2\nexit 2\n";
  return script;
}

std::string array_spec(const std::vector<size_t>& items, unsigned throttle)
{
  std::string spec;
  for (size_t item : items) {
    spec += (spec.empty() ? "" : ",") + std::to_string(item);
  }
  return throttle > 0 ? spec + "%" + std::to_string(throttle) : spec;
}

std::string submit(const std::vector<size_t>& items, const SlurmExecution& execution)
{
  write_file_atomic(execution.script, batch_script(items, execution), Durability::atomic);
  ::chmod(execution.script.c_str(), 0700);
  std::vector<std::string> sbatch{"sbatch", "--parsable", "--array=" + array_spec(items, execution.throttle)};
  sbatch.insert(sbatch.end(), execution.sbatch_options.begin(), execution.sbatch_options.end());
  sbatch.push_back(execution.script.string());
  CommandOutput result = run_and_capture(sbatch);
  if (result.exit_code == 127) {
    throw usage_error("cannot run sbatch (" + printable(result.err) +
                      "): --executor slurm needs the Slurm commands on PATH and a Slurm config (SLURM_CONF)");
  }
  if (result.exit_code != 0) {
    throw Error("sbatch refused the batch's job array: " + printable(result.err.empty() ? result.out : result.err) +
                "(the options given were: " + printable(json_text(nlohmann::json(sbatch))) + ")");
  }
  std::string job_id = result.out.substr(0, result.out.find_first_of(";\n"));
  if (job_id.empty()) {
    throw Error("sbatch printed no job id: " + printable(result.out));
  }
  return job_id;
}

std::vector<std::string> split(const std::string& text, char separator)
{
  std::vector<std::string> parts;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, separator);) {
    parts.push_back(part);
  }
  return parts;
}

bool is_number(const std::string& text)
{
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

// sacct's ExitCode "code:signal" as a wait status.
int wait_status_of_exit_code(const std::string& text)
{
  const size_t colon = text.find(':');
  const std::string code = text.substr(0, colon);
  const std::string signal = colon == std::string::npos ? "0" : text.substr(colon + 1);
  if (!is_number(code) || !is_number(signal)) {
    return 0;
  }
  return std::stoi(signal) != 0 ? std::stoi(signal) & 0x7f : (std::stoi(code) & 0xff) << 8;
}

} // namespace

void require_slurm_commands()
{
  for (const char* command : {"sbatch", "squeue", "scancel"}) {
    CommandOutput result = run_and_capture({command, "--version"});
    if (result.exit_code != 0) {
      throw usage_error(std::string("cannot run ") + command + " (" + printable(result.err) +
                        "): --executor slurm needs the Slurm commands on PATH and a Slurm config (SLURM_CONF)");
    }
  }
}

std::string slurm_time_limit(double timeout_s)
{
  return std::to_string(static_cast<long>(std::ceil(timeout_s / 60.0)) + 1);
}

bool is_final_slurm_state(const std::string& state)
{
  static const std::set<std::string> k_final = {"BOOT_FAIL", "CANCELLED",     "COMPLETED", "DEADLINE", "FAILED",
                                                "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "TIMEOUT"};
  return k_final.contains(state);
}

std::optional<std::map<size_t, SlurmTask>> read_array_tasks(const std::string& job_id)
{
  CommandOutput result = run_and_capture({"squeue", "--noheader", "--states=all", "--array", "--jobs=" + job_id,
                                          "--Format=ArrayTaskID:|,State:|,Reason:|,exit_code:|,JobID:|"});
  if (result.exit_code != 0) {
    if (result.err.find("Invalid job id") != std::string::npos) {
      return std::nullopt;
    }
    throw Error("squeue failed while following job " + job_id + ": " + printable(result.err));
  }
  std::map<size_t, SlurmTask> tasks;
  for (const std::string& line : split(result.out, '\n')) {
    std::vector<std::string> fields = split(line, '|');
    if (fields.size() < 5 || !is_number(fields[0])) {
      continue; // a pending range such as "3-9%2" is listed task by task once it splits
    }
    SlurmTask task{fields[1], fields[2], 0, is_number(fields[4]) ? fields[4] : std::string()};
    try {
      task.wait_status = std::stoi(fields[3]);
    } catch (const std::exception&) {
    }
    tasks[std::stoul(fields[0])] = task;
  }
  return tasks;
}

std::map<size_t, SlurmTask> read_ended_tasks(const std::string& job_id, const std::map<size_t, std::string>& own_ids)
{
  std::map<size_t, SlurmTask> tasks;
  // With accounting storage, sacct knows the array by its id: one line per task, "<job>_<task>".
  CommandOutput result = run_and_capture({"sacct", "--jobs=" + job_id, "--allocations", "--noheader", "--parsable2",
                                          "--format=JobID,State,ExitCode,Reason,JobIDRaw"});
  if (result.exit_code == 0) {
    for (const std::string& line : split(result.out, '\n')) {
      std::vector<std::string> fields = split(line, '|');
      const size_t underscore = fields.empty() ? std::string::npos : fields[0].find('_');
      if (fields.size() < 5 || underscore == std::string::npos || !is_number(fields[0].substr(underscore + 1))) {
        continue;
      }
      SlurmTask task{fields[1].substr(0, fields[1].find(' ')), fields[3], 0, fields[4]}; // "CANCELLED by 0"
      task.wait_status = wait_status_of_exit_code(fields[2]);
      tasks[std::stoul(fields[0].substr(underscore + 1))] = task;
    }
    if (!tasks.empty()) {
      return tasks;
    }
  }
  // Without it ("accounting storage is disabled"), the job completion log, if the cluster keeps
  // one: Slurm 22.05 reads it without the array fields, so by each task's own job id.
  std::string ids;
  std::map<std::string, size_t> index_of;
  for (const auto& [index, own] : own_ids) {
    ids += (ids.empty() ? "" : ",") + own;
    index_of[own] = index;
  }
  if (ids.empty()) {
    return tasks;
  }
  result = run_and_capture(
      {"sacct", "--completion", "--noheader", "--parsable2", "--jobs=" + ids, "--format=JobIDRaw,State,ExitCode"});
  for (const std::string& line : split(result.exit_code == 0 ? result.out : std::string(), '\n')) {
    std::vector<std::string> fields = split(line, '|');
    if (fields.size() >= 3 && index_of.contains(fields[0])) {
      SlurmTask task{fields[1].substr(0, fields[1].find(' ')), "from the job completion log", 0, fields[0]};
      task.wait_status = wait_status_of_exit_code(fields[2]);
      tasks[index_of[fields[0]]] = task;
    }
  }
  return tasks;
}

int slurm_task_exit_code(const SlurmTask& task)
{
  if (task.state == "COMPLETED") {
    return 0;
  }
  const int code = exit_code_of_wait_status(task.wait_status);
  return code == 0 ? 1 : code;
}

bool run_items_on_slurm(const std::vector<size_t>& items, const SlurmExecution& execution)
{
  if (items.empty()) {
    return false;
  }
  const std::string job_id = submit(items, execution);
  execution.submitted(job_id);
  if (execution.detach) {
    return false;
  }
  std::set<size_t> pending(items.begin(), items.end());
  std::set<size_t> running;
  bool cancelled = false;
  bool hard_cancelled = false;
  Clock::time_point cancelled_at;
  while (!pending.empty()) {
    if (interrupt_requested() && !cancelled) {
      // A plain scancel signals every process of a task, the plugin's too, which then dies
      // unrecorded; SIGINT to each task's batch process (its `mdivicom run`) lets the run stop the
      // plugin and record "cancelled". Pending tasks are cancelled outright; what still runs after
      // a grace period is cancelled the plain way.
      run_and_capture({"scancel", "--state=PENDING", job_id}); // first: none may start meanwhile
      run_and_capture({"scancel", "--batch", "--signal=INT", job_id});
      cancelled = true;
      cancelled_at = Clock::now();
    }
    if (cancelled && !hard_cancelled && Clock::now() - cancelled_at > std::chrono::seconds(30)) {
      run_and_capture({"scancel", job_id});
      hard_cancelled = true;
    }
    std::optional<std::map<size_t, SlurmTask>> tasks = read_array_tasks(job_id);
    for (auto it = pending.begin(); it != pending.end();) {
      const size_t item = *it;
      SlurmTask task;
      if (!tasks) {
        task.state = "UNKNOWN"; // forgotten by the controller: the item's record tells the rest
      } else if (auto found = tasks->find(item); found != tasks->end()) {
        task = found->second;
      } else {
        ++it;
        continue;
      }
      if (task.state == "RUNNING" && running.insert(item).second) {
        execution.started(item);
      }
      if (!tasks || is_final_slurm_state(task.state)) {
        execution.finished(item, {slurm_task_exit_code(task), 0}, task.state, task.reason);
        it = pending.erase(it);
        continue;
      }
      ++it;
    }
    if (execution.tick) {
      execution.tick();
    }
    if (!pending.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  return cancelled;
}

} // namespace mdivicom
