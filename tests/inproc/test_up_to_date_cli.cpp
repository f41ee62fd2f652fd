// Up-to-date checks of `mdivicom run` and `mdivicom batch`: the run key, --explain, --force,
// exit 3 for outputs of a run that differs, and batches that rerun only what changed.

#include <catch2/catch.hpp>

#include "cli_workspace.hpp"
#include "core/json/schema.hpp"
#include "support/batch_items.hpp"
#include "support/record_schema.hpp"

using namespace mdivicom::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Writes the config's threshold and the dataset's file count; fails on a dataset holding FAIL.
const char* k_plugin = R"(
import json, os
def run(dataset_dir, out_dir, config, *, work_dir=None, dry_run=False):
    if os.path.exists(os.path.join(dataset_dir, 'FAIL')):
        raise RuntimeError('this dataset fails')
    files = sum(len(f) for _, _, f in os.walk(dataset_dir))
    with open(os.path.join(out_dir, 'summary.tsv'), 'w') as f:
        f.write('threshold\t%s\nfiles\t%d\n' % (config.get('threshold'), files))
    return {}
)";

size_t record_count(const fs::path& out)
{
  size_t count = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(out / "_runs", error)) {
    const std::string name = entry.path().filename().string();
    count += entry.path().extension() == ".json" && name.find('.') == name.rfind('.');
  }
  return count;
}

const fs::path k_gaze = fs::path("sessions") / "ses-01" / "raw" / "gaze" / "str-eye01" / "gaze.csv";

} // namespace

TEST_CASE("a run whose key and outputs are unchanged is up to date: nothing runs, exit 0", "[inproc][uptodate]")
{
  CliWorkspace ws(k_plugin);
  CliRun first = ws.run({"--config", R"({"threshold": 0.5})"});
  INFO(first.cli.err);
  REQUIRE(first.cli.exit_code == 0);
  check_record_schema(first.record);
  const json& key = first.record["key"];
  CHECK(key["sha256"].get<std::string>().size() == 64);
  CHECK(key["parts"]["config_sha256"] == first.record["config_hash_sha256"]);
  CHECK(key["parts"]["dataset"]["fingerprint_sha256"] == first.record["dataset"]["fingerprint_sha256"]);
  CHECK(key["parts"]["code"]["source"] == "dev_root");
  CHECK(key["parts"]["code"]["interpreter"] == "3.11.2");
  CHECK(key["parts"]["plugin"]["version"] == "1.0.0");
  const std::string run_id = first.record["run_id"];
  CHECK(fs::is_regular_file(ws.out / "_runs" / (run_id + ".inputs.jsonl")));

  CliRun again = ws.run({"--config", R"({"threshold": 0.5})", "--explain"});
  INFO(again.cli.out << again.cli.err);
  CHECK(again.cli.exit_code == 0);
  CHECK_THAT(again.cli.err, Catch::Contains("is up to date (run " + run_id + ")"));
  CHECK_THAT(again.cli.out, Catch::Contains("up to date (run " + run_id + ")"));
  CHECK(record_count(ws.out) == 1);

  SECTION("run --json names the run it is up to date with")
  {
    CliRun quiet = ws.run({"--config", R"({"threshold": 0.5})", "--json"});
    INFO(quiet.cli.out << quiet.cli.err);
    CHECK(quiet.cli.exit_code == 0);
    json summary = json::parse(quiet.cli.out);
    CHECK(summary["status"] == "up-to-date");
    CHECK(summary["run_id"] == run_id);
    CHECK(summary["record"] == (ws.out / "_runs" / (run_id + ".json")).string());
  }
  SECTION("--force runs it again and replaces its outputs")
  {
    CliRun forced = ws.run({"--config", R"({"threshold": 0.5})", "--force"});
    INFO(forced.cli.err);
    CHECK(forced.cli.exit_code == 0);
    CHECK(record_count(ws.out) == 2);
    CHECK(read_file(ws.out / "cli-test" / "summary.tsv") == "threshold\t0.5\nfiles\t1\n");
  }
}

TEST_CASE("a changed key is refused with exit 3 naming the part that changed, and --overwrite runs it",
          "[inproc][uptodate]")
{
  CliWorkspace ws(k_plugin);
  REQUIRE(ws.run({"--config", R"({"threshold": 0.5, "mode": "a"})"}).cli.exit_code == 0);
  const std::string before = read_file(ws.out / "cli-test" / "summary.tsv");

  SECTION("config")
  {
    CliRun refused = ws.run({"--config", R"({"threshold": 0.7, "mode": "a", "extra": 1})", "--explain"});
    INFO(refused.cli.out << refused.cli.err);
    CHECK(refused.cli.exit_code == 3);
    CHECK_THAT(refused.cli.err, Catch::Contains("config changed: `extra` added (1), `threshold` 0.5 → 0.7"));
    CHECK_THAT(refused.cli.err, Catch::Contains("--overwrite"));
    CHECK_THAT(refused.cli.out, Catch::Contains("runs: config changed"));
    CHECK(record_count(ws.out) == 1);
    CHECK(read_file(ws.out / "cli-test" / "summary.tsv") == before);
    CliRun replaced = ws.run({"--config", R"({"threshold": 0.7, "mode": "a", "extra": 1})", "--overwrite"});
    CHECK(replaced.cli.exit_code == 0);
    CHECK(read_file(ws.out / "cli-test" / "summary.tsv") == "threshold\t0.7\nfiles\t1\n");
    CHECK(record_count(ws.out) == 2);
  }
  SECTION("dataset: files modified, added and removed, named")
  {
    write_file(ws.dataset / k_gaze, "t,x\n0,2\n");
    write_file(ws.dataset / "sessions" / "ses-01" / "notes.txt", "new");
    CliRun refused = ws.run({"--config", R"({"threshold": 0.5, "mode": "a"})"});
    INFO(refused.cli.err);
    CHECK(refused.cli.exit_code == 3);
    CHECK_THAT(refused.cli.err, Catch::Contains("dataset changed: 1 file modified (" + k_gaze.string() +
                                                "), 1 file added (sessions/ses-01/notes.txt)"));
    fs::remove(ws.dataset / k_gaze);
    refused = ws.run({"--config", R"({"threshold": 0.5, "mode": "a"})"});
    CHECK_THAT(refused.cli.err, Catch::Contains("1 file removed (" + k_gaze.string() + ")"));
  }
  SECTION("plugin code")
  {
    const fs::path module = ws.plugin_root / "cli_mod.py";
    write_file(module, read_file(module) + "\n# a fix\n");
    CliRun refused = ws.run({"--config", R"({"threshold": 0.5, "mode": "a"})"});
    INFO(refused.cli.err);
    CHECK(refused.cli.exit_code == 3);
    CHECK_THAT(refused.cli.err, Catch::Contains("plugin code changed: 1 file modified (plugin/cli_mod.py)"));
  }
  SECTION("outputs modified since the run")
  {
    write_file(ws.out / "cli-test" / "summary.tsv", "edited by hand\n");
    write_file(ws.out / "cli-test" / "stray.txt", "");
    CliRun refused = ws.run({"--config", R"({"threshold": 0.5, "mode": "a"})"});
    INFO(refused.cli.err);
    CHECK(refused.cli.exit_code == 3);
    CHECK_THAT(refused.cli.err, Catch::Contains("outputs modified since the run: "));
    CHECK_THAT(refused.cli.err, Catch::Contains("summary.tsv (modified)"));
    CHECK_THAT(refused.cli.err, Catch::Contains("stray.txt (unexpected)"));
    CHECK(ws.run({"--config", R"({"threshold": 0.5, "mode": "a"})", "--overwrite"}).cli.exit_code == 0);
    CHECK(read_file(ws.out / "cli-test" / "summary.tsv") == before);
  }
  SECTION("dry run")
  {
    CliRun refused = ws.run({"--config", R"({"threshold": 0.5, "mode": "a"})", "--dry-run"});
    CHECK(refused.cli.exit_code == 3);
    CHECK_THAT(refused.cli.err, Catch::Contains("a dry run now, a real run then"));
  }
}

TEST_CASE("a failed latest run, or outputs no record describes, are never up to date", "[inproc][uptodate]")
{
  CliWorkspace ws(k_plugin);
  SECTION("previous run failed")
  {
    write_file(ws.dataset / "FAIL", "");
    REQUIRE(ws.run().cli.exit_code == 1);
    fs::remove(ws.dataset / "FAIL");
    write_file(ws.out / "cli-test" / "partial.txt", "");
    CliRun refused = ws.run({"--explain"});
    INFO(refused.cli.err);
    CHECK(refused.cli.exit_code == 3);
    CHECK_THAT(refused.cli.err, Catch::Contains("previous run failed (RuntimeError)"));
  }
  SECTION("files of no run")
  {
    write_file(ws.out / "cli-test" / "mine.txt", "keep me");
    CliRun refused = ws.run();
    INFO(refused.cli.err);
    CHECK(refused.cli.exit_code == 3);
    CHECK_THAT(refused.cli.err, Catch::Contains("holds files that no run record describes"));
    CHECK(read_file(ws.out / "cli-test" / "mine.txt") == "keep me");
  }
}

TEST_CASE("batch reruns exactly the items that are not up to date, and --explain says why", "[inproc][batch][uptodate]")
{
  CliWorkspace ws(k_plugin);
  const fs::path sessions = ws.root / "sessions";
  for (const char* name : {"ses-01", "ses-02", "ses-03"}) {
    write_file(sessions / name / "gaze.csv", std::string("t,x\n0,") + name + "\n");
  }
  const std::string glob = (sessions / "*").string();
  auto batch = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"batch", "cli-test", "--out", ws.out.string(), "--dataset", glob, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult result = run_mdivicom(args, ws.options);
    INFO(result.err);
    json record = json::parse(result.out);
    for (const auto& violation : mdivicom::JsonSchema::builtin("batch-record").validate(record)) {
      FAIL_CHECK("batch record breaks its schema at " << violation.pointer << ": " << violation.message);
    }
    return std::make_pair(result, record);
  };
  auto [first, first_record] = batch({});
  REQUIRE(first.exit_code == 0);
  CHECK(first_record["summary"]["succeeded"] == 3);

  auto [again, again_record] = batch({"--explain"});
  CHECK(again.exit_code == 0);
  for (const char* name : {"ses-01", "ses-02", "ses-03"}) {
    const json& item = item_named(again_record, name);
    CHECK(item["decision"] == "up-to-date");
    CHECK(item["run_id"] == item_named(first_record, name)["run_id"]);
    CHECK(record_count(ws.out / name) == 1);
  }
  CHECK_THAT(again.err, Catch::Contains("ses-02 cli-test: up to date (run "));

  write_file(sessions / "ses-02" / "gaze.csv", "t,x\n0,changed\n");
  auto [refused, refused_record] = batch({"--explain"});
  CHECK(refused.exit_code == 3);
  CHECK(item_named(refused_record, "ses-02")["decision"] == "skipped");
  CHECK_THAT(item_named(refused_record, "ses-02")["reason"].get<std::string>(),
             Catch::Contains("dataset changed: 1 file modified (gaze.csv)"));
  CHECK(item_named(refused_record, "ses-01")["decision"] == "up-to-date");

  auto [rerun, rerun_record] = batch({"--overwrite"});
  CHECK(rerun.exit_code == 0);
  CHECK(item_named(rerun_record, "ses-02")["decision"] == "ran");
  CHECK(item_named(rerun_record, "ses-02")["status"] == "succeeded");
  CHECK(item_named(rerun_record, "ses-01")["decision"] == "up-to-date");
  CHECK(item_named(rerun_record, "ses-03")["decision"] == "up-to-date");
  CHECK(record_count(ws.out / "ses-02") == 2);
  CHECK(record_count(ws.out / "ses-01") == 1);
}
