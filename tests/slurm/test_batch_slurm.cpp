#include <catch2/catch.hpp>

#include "support/batch_items.hpp"

#include "slurm_batch.hpp"

#include <nlohmann/json.hpp>

using namespace mdivicom::test;
namespace fs = std::filesystem;
using nlohmann::json;

TEST_CASE("batch --executor slurm runs each item as a task of one job array and records Slurm's states",
          "[slurm][batch]")
{
  SlurmBatch batch;
  for (const char* name : {"ses-01", "ses-02", "ses-03", "ses-04"}) {
    batch.session(name);
  }
  batch.session("ses-05", "FAIL");
  CommandResult result =
      batch.batch({"-j", "2", "--slurm-opt", "job-name=mdv-test", "--config", R"({"api_token": "s3cret-value"})"});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  json record = batch.record();
  CHECK(record["executor"]["kind"] == "slurm");
  CHECK_FALSE(record["executor"]["job_id"].get<std::string>().empty());
  CHECK(record["status"] == "failed");
  for (const char* name : {"ses-01", "ses-02", "ses-03", "ses-04"}) {
    const json& item = item_named(record, name);
    CHECK(item["status"] == "succeeded");
    CHECK(item["slurm"]["state"] == "COMPLETED");
    CHECK(read_file(batch.out / name / "slurm-test" / "done.txt") == name);
  }
  const json& failed = item_named(record, "ses-05");
  CHECK(failed["status"] == "failed");
  CHECK(failed["slurm"]["state"] == "FAILED");
  CHECK(failed["exit_code"] == 1);
  const std::string script = read_file(batch.out / "_batches" / (record["batch_id"].get<std::string>() + ".sbatch"));
  CHECK(record["executor"]["jobs"] == 2); // the throttle: --array=0,1,2,3,4%2
  // An inline config reaches the tasks as a private file, removed once the batch ended: neither
  // the script nor anything else the batch keeps holds its text.
  CHECK(script.find("s3cret-value") == std::string::npos);
  for (const auto& entry : fs::recursive_directory_iterator(batch.out / "_batches")) {
    if (entry.is_regular_file()) {
      CHECK(read_file(entry.path()).find("s3cret-value") == std::string::npos);
    }
  }
  CHECK_FALSE(fs::exists(batch.out / "_batches" / (record["batch_id"].get<std::string>() + ".configs")));
  for (int item = 0; item < 5; ++item) {
    CHECK(script.find("\n" + std::to_string(item) + ") exec ") != std::string::npos);
  }
}

TEST_CASE("Ctrl-C while a Slurm batch waits cancels the array, and the runs are recorded cancelled", "[slurm][batch]")
{
  SlurmBatch batch;
  batch.session("ses-01", "SLOW");
  batch.session("ses-02", "SLOW");
  batch.options.interrupt_when = [&batch](int, const CommandResult&) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(batch.out / "ses-01" / "_runs", error)) {
      if (entry.path().extension() == ".log" &&
          read_file(entry.path()).find("slow item started") != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  CommandResult result = batch.batch({"-j", "1"});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 130);
  json record = batch.record();
  CHECK(record["status"] == "cancelled");
  // The run got SIGINT, stopped its plugin and exited 130: Slurm says FAILED (or CANCELLED when
  // scancel's own cancel came first); the run's record says what happened.
  CHECK(item_named(record, "ses-01")["slurm"]["state"] != "COMPLETED");
  CHECK(item_named(record, "ses-01")["status"] == "cancelled");
  CHECK_FALSE(item_named(record, "ses-02").contains("run_id")); // never started: the array was cancelled
}

TEST_CASE("a Slurm batch without sbatch, or with options Slurm refuses, fails with Slurm's message", "[slurm][batch]")
{
  SlurmBatch batch;
  batch.session("ses-01");
  CommandResult result = batch.batch({"--slurm-opt", "partition=no-such-partition"});
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("sbatch refused") != std::string::npos);
  CHECK(result.err.find("partition") != std::string::npos);

  batch.options.env["PATH"] = (batch.root / "empty-path").string();
  fs::remove_all(batch.out);
  result = batch.batch({});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("sbatch") != std::string::npos);
}
