#include "slurm/slurm_support.hpp"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

namespace mdivicom::test {

namespace {

std::vector<std::string> split(const std::string& text, char separator)
{
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream(text);
  while (std::getline(stream, part, separator)) {
    parts.push_back(part);
  }
  return parts;
}

std::string describe(const ArrayStates& states)
{
  if (states.empty()) {
    return "(no such job in squeue)";
  }
  std::string text;
  for (const auto& [task, state] : states) {
    text += "\n  task " + std::to_string(task) + " (job " + state.job_id + "): " + state.state + ", reason " +
            state.reason + ", wait status " + std::to_string(state.wait_status);
  }
  return text;
}

} // namespace

const TestCluster& test_cluster()
{
  static const TestCluster cluster = [] {
    const char* value = std::getenv("MDIVICOM_TEST_SLURM_DIR");
    TestCluster found;
    found.dir = value != nullptr && *value != '\0' ? value : MDIVICOM_DEFAULT_SLURM_DIR;
    std::ifstream env(found.dir + "/env");
    std::string line;
    while (std::getline(env, line)) {
      if (line.rfind("SLURM_CONF=", 0) == 0) {
        found.slurm_conf = line.substr(line.find('=') + 1);
      }
    }
    return found;
  }();
  if (cluster.slurm_conf.empty()) {
    FAIL("no test Slurm cluster at " << cluster.dir
                                     << ": run the suite through ctest (its fixture starts one) or "
                                        "'tests/slurm/cluster.sh start "
                                     << cluster.dir << "'");
  }
  return cluster;
}

CommandResult run_slurm(const std::vector<std::string>& argv, CommandOptions options)
{
  options.env["SLURM_CONF"] = test_cluster().slurm_conf;
  options.timeout_s = std::min(options.timeout_s, 30.0);
  return run_command(argv, options);
}

std::string submit(const std::vector<std::string>& sbatch_args)
{
  std::vector<std::string> argv = {"sbatch", "--parsable"};
  argv.insert(argv.end(), sbatch_args.begin(), sbatch_args.end());
  auto result = run_slurm(argv);
  INFO("sbatch: " << result.err);
  REQUIRE(result.exit_code == 0);
  // --parsable prints "<id>" or "<id>;<cluster>".
  std::string id = split(result.out, '\n').at(0);
  return id.substr(0, id.find(';'));
}

ArrayStates read_array_states(const std::string& id)
{
  auto result = run_slurm({"squeue", "--noheader", "--states=all", "--array", "--jobs=" + id,
                           "--Format=ArrayTaskID:|,JobID:|,State:|,Reason:|,exit_code:|"});
  ArrayStates states;
  if (result.exit_code != 0) {
    // squeue refuses a job id the controller has forgotten (or never knew).
    INFO("squeue: " << result.err);
    REQUIRE(result.err.find("Invalid job id") != std::string::npos);
    return states;
  }
  for (const auto& line : split(result.out, '\n')) {
    auto fields = split(line, '|');
    if (fields.size() < 5) {
      continue;
    }
    TaskState state;
    state.task = fields[0] == "N/A" ? -1 : std::stoi(fields[0]);
    state.job_id = fields[1];
    state.state = fields[2];
    state.reason = fields[3];
    state.wait_status = std::stoi(fields[4]);
    states[state.task] = state;
  }
  return states;
}

bool is_final(const std::string& state)
{
  static const std::set<std::string> final_states = {"BOOT_FAIL", "CANCELLED",     "COMPLETED", "DEADLINE", "FAILED",
                                                     "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "TIMEOUT"};
  return final_states.count(state) != 0;
}

ArrayStates wait_for_states(const std::string& id, const std::function<bool(const ArrayStates&)>& done,
                            std::chrono::seconds timeout, const std::string& what)
{
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto states = read_array_states(id);
    if (done(states)) {
      return states;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      FAIL("job " << id << ": not " << what << " after " << timeout.count() << " s; squeue says:" << describe(states)
                  << "\n(daemon logs in " << test_cluster().dir << "/log)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

ArrayStates wait_until_finished(const std::string& id, std::chrono::seconds timeout)
{
  return wait_for_states(
      id,
      [](const ArrayStates& states) {
        if (states.empty()) {
          return false;
        }
        for (const auto& [task, state] : states) {
          if (!is_final(state.state)) {
            return false;
          }
        }
        return true;
      },
      timeout, "finished");
}

std::map<std::string, std::string> read_completion_states(const std::vector<std::string>& job_ids)
{
  std::string list;
  for (const auto& job_id : job_ids) {
    list += (list.empty() ? "" : ",") + job_id;
  }
  auto result =
      run_slurm({"sacct", "--completion", "--noheader", "--parsable2", "--jobs=" + list, "--format=JobIDRaw,State"});
  INFO("sacct --completion: " << result.err);
  REQUIRE(result.exit_code == 0);
  std::map<std::string, std::string> states;
  for (const auto& line : split(result.out, '\n')) {
    auto fields = split(line, '|');
    if (fields.size() == 2) {
      states[fields[0]] = fields[1];
    }
  }
  return states;
}

void expire_time_limit(const std::string& job_id)
{
  auto result = run_slurm({"scontrol", "update", "JobId=" + job_id, "TimeLimit=0"});
  INFO("scontrol update JobId=" << job_id << " TimeLimit=0: " << result.err);
  REQUIRE(result.exit_code == 0);
}

} // namespace mdivicom::test
