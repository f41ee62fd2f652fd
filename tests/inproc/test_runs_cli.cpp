// `mdivicom runs` and the records' CPU time and peak memory, from real Python runs.

#include <catch2/catch.hpp>

#include "cli_workspace.hpp"
#include "support/record_schema.hpp"

#include <set>

using namespace mdivicom::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Holds config["mb"] MiB (bytes written, so every page is resident), spins config["cpu_s"]
// seconds, writes one file, and fails when config["fail"] is set.
const char* k_plugin = R"(
import os, time
def run(dataset_dir, out_dir, config, *, work_dir=None, dry_run=False):
    data = b'x' * (config.get('mb', 0) << 20)
    end = time.process_time() + config.get('cpu_s', 0)
    while time.process_time() < end:
        pass
    with open(os.path.join(out_dir, 'summary.tsv'), 'w') as f:
        f.write('mb\t%d\n' % (len(data) >> 20))
    if config.get('fail'):
        raise ValueError('asked to fail')
    return {}
)";

json runs_json(CliWorkspace& ws, std::vector<std::string> extra = {})
{
  std::vector<std::string> args = {"runs", ws.out.string(), "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  CommandResult result = run_mdivicom(args, ws.options);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return json::parse(result.out);
}

} // namespace

TEST_CASE("a Python run's record holds its CPU time and peak memory: 60 MiB held shows a peak of 60 MiB or more",
          "[inproc][runs]")
{
  CliWorkspace ws(k_plugin);
  CliRun run = ws.run({"--config", R"({"mb": 60, "cpu_s": 0.3})"});
  INFO(run.cli.err);
  REQUIRE(run.cli.exit_code == 0);
  check_record_schema(run.record);
  const json& resources = run.record["resources"];
  INFO(resources.dump());
  CHECK(resources["peak_memory_bytes"].get<int64_t>() >= int64_t{60} << 20);
  CHECK(resources["peak_memory_bytes"].get<int64_t>() < int64_t{1} << 30);
  CHECK(resources["cpu_s"].get<double>() >= 0.3);
  CHECK(resources["cpu_s"].get<double>() < 30);

  // A small run shows a small peak: the number is the run's own, not a constant.
  CliWorkspace small(k_plugin);
  CliRun little = small.run();
  REQUIRE(little.cli.exit_code == 0);
  CHECK(little.record["resources"]["peak_memory_bytes"].get<int64_t>() < int64_t{55} << 20);
  CHECK(little.record["resources"]["peak_memory_bytes"].get<int64_t>() > int64_t{1} << 20);
}

TEST_CASE("runs lists the runs of O as a table and as JSON, filtered by plugin and status", "[inproc][runs]")
{
  CliWorkspace ws(k_plugin);
  CliRun ok = ws.run({"--config", R"({"mb": 8})"});
  REQUIRE(ok.cli.exit_code == 0);
  const std::string ok_id = ok.record["run_id"];
  CliRun bad = ws.run({"--config", R"({"fail": true})", "--overwrite"});
  REQUIRE(bad.cli.exit_code == 1);
  json failed_record;
  for (const auto& entry : fs::directory_iterator(ws.out / "_runs")) {
    if (entry.path().extension() == ".json" && entry.path().stem() != ok_id) {
      failed_record = json::parse(read_file(entry.path()));
    }
  }
  const std::string bad_id = failed_record["run_id"];

  CommandResult table = run_mdivicom({"runs", ws.out.string()}, ws.options);
  INFO(table.out << table.err);
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("RUN") && Catch::Contains("PEAK MEMORY") && Catch::Contains("OUTPUTS"));
  const size_t ok_line = table.out.find(ok_id);
  const size_t bad_line = table.out.find(bad_id);
  REQUIRE(ok_line != std::string::npos);
  REQUIRE(bad_line != std::string::npos);
  CHECK(ok_line < bad_line); // in start order
  CHECK_THAT(table.out, Catch::Contains("succeeded") && Catch::Contains("failed") && Catch::Contains("2 runs"));
  // A failed run gives the earlier outputs back and keeps its own aside: both are the latest
  // of their directory (as verify sees them).
  CHECK_THAT(table.out, Catch::Contains("* " + ok_id) && Catch::Contains("* " + bad_id));

  json all = runs_json(ws);
  REQUIRE(all["runs"].size() == 2);
  CHECK(all["batch"] == false);
  const json& first = all["runs"][0];
  CHECK(first["run_id"] == ok_id);
  CHECK(first["plugin"] == "cli-test");
  CHECK(first["status"] == "succeeded");
  CHECK(first["latest"] == true);
  CHECK(first["file_count"] == ok.record["outputs"]["file_count"]);
  CHECK(first["total_bytes"] == ok.record["outputs"]["total_bytes"]);
  CHECK(first["peak_memory_bytes"].get<int64_t>() >= int64_t{8} << 20);
  CHECK(first["cpu_s"].get<double>() > 0);
  CHECK(first["duration_s"] == ok.record["duration_s"]);
  CHECK(all["runs"][1]["status"] == "failed");
  CHECK_THAT(all["runs"][1]["error"].get<std::string>(), Catch::Contains("ValueError: asked to fail"));

  json failed_only = runs_json(ws, {"--status", "failed"});
  REQUIRE(failed_only["runs"].size() == 1);
  CHECK(failed_only["runs"][0]["run_id"] == bad_id);
  CHECK(runs_json(ws, {"--plugin", "cli-test", "--status", "succeeded"})["runs"].size() == 1);
  CHECK(runs_json(ws, {"--plugin", "other"})["runs"].empty());
  CommandResult filtered = run_mdivicom({"runs", ws.out.string(), "--plugin", "other"}, ws.options);
  CHECK_THAT(filtered.out, Catch::Contains("0 runs (of 2)"));

  SECTION("--show prints one run readably: key, config, dataset fingerprint, outputs with hashes")
  {
    CommandResult show = run_mdivicom({"runs", ws.out.string(), "--show", ok_id}, ws.options);
    INFO(show.out << show.err);
    REQUIRE(show.exit_code == 0);
    CHECK_THAT(show.out, Catch::Contains("run " + ok_id));
    CHECK_THAT(show.out, Catch::Contains("cli-test 1.0.0 (python, backend python)"));
    CHECK_THAT(show.out, Catch::Contains(ok.record["key"]["sha256"].get<std::string>()));
    CHECK_THAT(show.out, Catch::Contains(ok.record["config_hash_sha256"].get<std::string>()));
    CHECK_THAT(show.out, Catch::Contains(R"({"mb":8})"));
    CHECK_THAT(show.out, Catch::Contains(ok.record["dataset"]["fingerprint_sha256"].get<std::string>()));
    for (const auto& file : ok.record["outputs"]["files"]) {
      CHECK_THAT(show.out, Catch::Contains(file["sha256"].get<std::string>() + "  " + file["path"].get<std::string>()));
    }
    CHECK_THAT(show.out, Catch::Contains("peak memory") && Catch::Contains("cpu time"));

    CommandResult failed = run_mdivicom({"runs", ws.out.string(), "--show", bad_id}, ws.options);
    CHECK_THAT(failed.out, Catch::Contains("failed, exit code 1") && Catch::Contains("ValueError: asked to fail"));

    CommandResult as_json = run_mdivicom({"runs", ws.out.string(), "--show", ok_id, "--json"}, ws.options);
    CHECK(json::parse(as_json.out) == json::parse(read_file(ws.out / "_runs" / (ok_id + ".json"))));

    CommandResult unknown = run_mdivicom({"runs", ws.out.string(), "--show", "20000101T000000Z_00000000"}, ws.options);
    CHECK(unknown.exit_code == 2);
    CHECK_THAT(unknown.err, Catch::Contains("no run 20000101T000000Z_00000000"));
  }
  SECTION("a directory that holds no runs is a usage error")
  {
    CommandResult none = run_mdivicom({"runs", ws.dataset.string()}, ws.options);
    CHECK(none.exit_code == 2);
    CHECK_THAT(none.err, Catch::Contains("holds no runs"));
  }
}

TEST_CASE("runs on a batch directory lists the runs of every item, with the item", "[inproc][runs]")
{
  CliWorkspace ws(k_plugin);
  const fs::path sessions = ws.root / "study" / "sessions";
  for (const char* name : {"ses-01", "ses-02", "ses-03"}) {
    write_file(sessions / name / "raw" / "gaze.csv", std::string("t,x\n0,") + name + "\n");
  }
  CommandResult batch =
      run_mdivicom({"batch", "cli-test", "--out", ws.out.string(), "--dataset", (sessions / "*").string()}, ws.options);
  INFO(batch.out << batch.err);
  REQUIRE(batch.exit_code == 0);

  json all = runs_json(ws);
  CHECK(all["batch"] == true);
  REQUIRE(all["runs"].size() == 3);
  std::set<std::string> items;
  for (const auto& row : all["runs"]) {
    items.insert(row["item"].get<std::string>());
    CHECK(row["status"] == "succeeded");
    CHECK(row["latest"] == true);
    CHECK_THAT(row["record"].get<std::string>(), Catch::StartsWith(row["item"].get<std::string>() + "/_runs/"));
  }
  CHECK(items == std::set<std::string>{"ses-01", "ses-02", "ses-03"});

  CommandResult table = run_mdivicom({"runs", ws.out.string()}, ws.options);
  CHECK_THAT(table.out, Catch::StartsWith("ITEM"));
  CHECK_THAT(table.out, Catch::Contains("ses-02") && Catch::Contains("3 runs"));
  const std::string run_id = all["runs"][1]["run_id"];
  CommandResult show = run_mdivicom({"runs", ws.out.string(), "--show", run_id}, ws.options);
  CHECK_THAT(show.out, Catch::Contains("item         " + all["runs"][1]["item"].get<std::string>()));
}
