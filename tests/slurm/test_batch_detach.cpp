#include <catch2/catch.hpp>

#include "support/batch_items.hpp"

#include "slurm_batch.hpp"

#include <chrono>
#include <thread>

using namespace mdivicom::test;
namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

CommandResult batch_status(SlurmBatch& batch)
{
  return run_mdivicom({"batch", "status", batch.out.string(), "--json"}, batch.options);
}

// Calls `batch status` every half second until the batch is no longer running.
json wait_until_settled(SlurmBatch& batch, std::chrono::seconds timeout)
{
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    CommandResult status = batch_status(batch);
    INFO(status.out << status.err);
    REQUIRE(!status.out.empty());
    json record = json::parse(status.out);
    if (record["status"] != "running") {
      return record;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      FAIL("the detached batch is still running after " << timeout.count() << " s: " << record.dump(2));
    }
    std::this_thread::sleep_for(500ms);
  }
}

bool log_says(const fs::path& runs, const std::string& text)
{
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(runs, error)) {
    if (entry.path().extension() == ".log" && read_file(entry.path()).find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

} // namespace

TEST_CASE("batch --detach returns once the array is submitted, and batch status follows it to its end",
          "[slurm][batch]")
{
  SlurmBatch batch;
  batch.session("ses-01", "NAP");
  batch.session("ses-02", "NAP");
  const auto start = std::chrono::steady_clock::now();
  CommandResult submitted = batch.batch({"--detach", "--config", R"({"k": 1})"});
  INFO(submitted.out << submitted.err);
  REQUIRE(submitted.exit_code == 0);
  CHECK(std::chrono::steady_clock::now() - start < 3s); // the items sleep 3 s each
  CHECK(submitted.out.find("submitted to Slurm as job ") != std::string::npos);
  CHECK(submitted.out.find("mdivicom batch status " + batch.out.string()) != std::string::npos);

  // Right after: running, the items queued, the job id recorded.
  CommandResult early = batch_status(batch);
  INFO(early.out << early.err);
  CHECK(early.exit_code == 1); // not (yet) succeeded
  json running = json::parse(early.out);
  CHECK(running["status"] == "running");
  CHECK(running["executor"]["detached"] == true);
  const std::string job_id = running["executor"]["job_id"];
  CHECK_FALSE(job_id.empty());
  CHECK(submitted.out.find(job_id) != std::string::npos);
  for (const char* name : {"ses-01", "ses-02"}) {
    CHECK(item_named(running, name)["decision"] == "queued");
  }
  const std::string batch_id = running["batch_id"];
  const fs::path batches = batch.out / "_batches";
  CHECK(fs::exists(batches / (batch_id + ".configs"))); // the tasks read the inline config later

  json record = wait_until_settled(batch, 120s);
  CHECK(record["status"] == "succeeded");
  for (const char* name : {"ses-01", "ses-02"}) {
    const json& item = item_named(record, name);
    CHECK(item["decision"] == "ran");
    CHECK(item["status"] == "succeeded");
    CHECK(item["slurm"]["state"] == "COMPLETED");
    REQUIRE(item.contains("run_id"));
    json run = json::parse(read_file(batch.out / item["run_record"].get<std::string>()));
    CHECK(run["status"] == "succeeded");
    CHECK(read_file(batch.out / name / "slurm-test" / "done.txt") == name);
  }
  CHECK(batch_status(batch).exit_code == 0);
  CHECK_FALSE(fs::exists(batches / (batch_id + ".configs")));
  CHECK_FALSE(fs::exists(batches / (batch_id + ".detached.json")));
  // Final: a later status only reads the record.
  const std::string final_text = read_file(batches / (batch_id + ".json"));
  CHECK(batch_status(batch).exit_code == 0);
  CHECK(read_file(batches / (batch_id + ".json")) == final_text);

  CommandResult table = run_mdivicom({"batch", "status", batch.out.string()}, batch.options);
  CHECK(table.out.find("2 items: 2 succeeded") != std::string::npos);
}

TEST_CASE("a detached task that Slurm ends at its time limit gets its run record finalized by batch status",
          "[slurm][batch]")
{
  SlurmBatch batch;
  // At its time limit Slurm sends SIGTERM to every process of the task and, KillWait (2 s here)
  // later, SIGKILL. A run stops its plugin on SIGTERM and records "cancelled"; this plugin ignores
  // SIGTERM and the SIGINT its runner sends, and the runner waits 5 s before SIGKILL: Slurm kills
  // the runner first, its record still "running", as when a node fails.
  batch.session("ses-01", "STUBBORN");
  CommandResult submitted = batch.batch({"--detach"});
  INFO(submitted.out << submitted.err);
  REQUIRE(submitted.exit_code == 0);
  json running = json::parse(batch_status(batch).out);
  const std::string job_id = running["executor"]["job_id"];

  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!log_says(batch.out / "ses-01" / "_runs", "stubborn item started")) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(200ms);
  }
  json live = json::parse(batch_status(batch).out);
  CHECK(live["status"] == "running");
  CHECK(item_named(live, "ses-01")["slurm"]["state"] == "RUNNING");
  CommandResult table = run_mdivicom({"batch", "status", batch.out.string()}, batch.options);
  CHECK(table.out.find("ses-01  slurm-test  running") != std::string::npos);

  expire_time_limit(job_id + "_0");
  json record = wait_until_settled(batch, 120s);
  CHECK(record["status"] == "failed");
  const json& item = item_named(record, "ses-01");
  CHECK(item["slurm"]["state"] == "TIMEOUT");
  CHECK(item["status"] == "timeout");
  REQUIRE(item.contains("run_record"));
  json run = json::parse(read_file(batch.out / item["run_record"].get<std::string>()));
  CHECK(run["status"] == "timeout");
  CHECK(run["error"]["type"] == "mdivicom.SlurmEnded");
  CHECK(run.contains("finished_at"));
  CHECK(batch_status(batch).exit_code == 1);
}
