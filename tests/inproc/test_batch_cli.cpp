#include <catch2/catch.hpp>

#include "support/batch_items.hpp"

#include "cli_workspace.hpp"
#include "core/json/schema.hpp"

#include <csignal>

using namespace mdivicom::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A plugin that writes the config it got, fails on a dataset holding FAIL and waits on one
// holding SLOW (for Ctrl-C): enough to see each item's own run.
const char* k_batch_plugin = R"(
import json, os, time
def run(dataset_dir, out_dir, config, *, work_dir=None, dry_run=False):
    if os.path.exists(os.path.join(dataset_dir, 'FAIL')):
        raise RuntimeError('this dataset fails')
    if os.path.exists(os.path.join(dataset_dir, 'SLOW')):
        print('slow item started', flush=True)
        time.sleep(60)
    with open(os.path.join(out_dir, 'seen.json'), 'w') as f:
        json.dump({'config': config, 'dataset': os.path.basename(dataset_dir)}, f)
    return {}
)";

struct BatchWorkspace : CliWorkspace
{
  fs::path sessions = root / "study" / "sessions";

  BatchWorkspace() : CliWorkspace(k_batch_plugin) {}

  fs::path session(const std::string& name, const std::string& marker = "")
  {
    write_file(sessions / name / "raw" / "gaze.csv", "t,x\n0," + name + "\n");
    if (!marker.empty()) {
      write_file(sessions / name / marker, "");
    }
    return sessions / name;
  }

  CommandResult batch(std::vector<std::string> extra, const CommandOptions* with = nullptr)
  {
    std::vector<std::string> args = {"batch", "cli-test", "--out", out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_mdivicom(args, with ? *with : options);
  }

  json batch_record()
  {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(out / "_batches")) {
      if (entry.path().extension() == ".json") {
        files.push_back(entry.path());
      }
    }
    REQUIRE(files.size() == 1);
    json record = json::parse(read_file(files[0]));
    for (const auto& violation : mdivicom::JsonSchema::builtin("batch-record").validate(record)) {
      FAIL_CHECK("batch record breaks its schema at " << violation.pointer << ": " << violation.message);
    }
    return record;
  }
};

} // namespace

TEST_CASE("batch runs every dataset of a glob as its own run into <out>/<item> and records the batch",
          "[inproc][batch]")
{
  BatchWorkspace ws;
  for (const char* name : {"ses-01", "ses-02", "ses-03"}) {
    ws.session(name);
  }
  CommandResult result = ws.batch({"--dataset", (ws.sessions / "*").string(), "-j", "2", "--config", R"({"k": 1})"});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  json record = ws.batch_record();
  CHECK(record["status"] == "succeeded");
  CHECK(record["record_version"] == "mdivicom.batch-record.v1");
  CHECK(record["summary"]["succeeded"] == 3);
  CHECK(record["executor"]["jobs"] == 2);
  CHECK_FALSE(record["command"].contains("--config")); // inline configs may hold secrets
  for (const char* name : {"ses-01", "ses-02", "ses-03"}) {
    const json& item = item_named(record, name);
    CHECK(item["decision"] == "ran");
    CHECK(item["status"] == "succeeded");
    const fs::path run_record = ws.out / item["run_record"].get<std::string>();
    json run = json::parse(read_file(run_record));
    CHECK(run["status"] == "succeeded");
    CHECK(run["dataset_dir"] == (ws.sessions / name).string());
    json seen = json::parse(read_file(ws.out / name / "cli-test" / "seen.json"));
    CHECK(seen["config"] == json{{"k", 1}});
    CHECK(seen["dataset"] == name);
    // Each item is an ordinary run output dir: verify works on it.
    CHECK(run_mdivicom({"verify", (ws.out / name).string()}, ws.options).exit_code == 0);
  }
  CHECK(result.out.find("3 items: 3 succeeded") != std::string::npos);
  // The inline config reached every item through a private file, not argv; the batch keeps
  // neither the file nor its text.
  for (const auto& entry : fs::recursive_directory_iterator(ws.out / "_batches")) {
    if (entry.is_regular_file()) {
      CHECK(read_file(entry.path()).find(R"("k")") == std::string::npos);
    }
  }

  CommandResult status = run_mdivicom({"batch", "status", ws.out.string(), "--json"}, ws.options);
  REQUIRE(status.exit_code == 0);
  CHECK(json::parse(status.out)["batch_id"] == record["batch_id"]);
}

TEST_CASE("batch refuses, before anything runs, datasets whose item names clash, naming both", "[inproc][batch]")
{
  BatchWorkspace ws;
  write_file(ws.root / "a" / "ses-01" / "x.csv", "x");
  write_file(ws.root / "b" / "ses-01" / "x.csv", "x");
  CommandResult result =
      ws.batch({"--dataset", (ws.root / "a" / "ses-01").string(), "--dataset", (ws.root / "b" / "ses-01").string()});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find((ws.root / "a" / "ses-01").string()) != std::string::npos);
  CHECK(result.err.find((ws.root / "b" / "ses-01").string()) != std::string::npos);
  CHECK(result.err.find("--datasets-root") != std::string::npos);
  CHECK_FALSE(fs::exists(ws.out / "_batches"));

  // Named by their path below a root, both run.
  result = ws.batch({"--dataset", (ws.root / "*" / "ses-01").string(), "--datasets-root", ws.root.path().string()});
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(fs::exists(ws.out / "a" / "ses-01" / "cli-test" / "seen.json"));
  CHECK(fs::exists(ws.out / "b" / "ses-01" / "cli-test" / "seen.json"));
}

TEST_CASE("batch refuses missing datasets and a dataset given twice, and --keep-going runs the rest and exits 1",
          "[inproc][batch]")
{
  BatchWorkspace ws;
  const fs::path one = ws.session("ses-01");
  const fs::path missing = ws.sessions / "ses-09";
  CommandResult result = ws.batch({"--dataset", one.string(), "--dataset", missing.string()});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find(missing.string()) != std::string::npos);
  CHECK_FALSE(fs::exists(ws.out / "ses-01"));

  result = ws.batch({"--dataset", one.string(), "--dataset", one.string()});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("listed twice") != std::string::npos);

  result = ws.batch({"--dataset", (ws.sessions / "nothing-*").string()});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("no dataset matches") != std::string::npos);

  result = ws.batch({"--dataset", one.string(), "--dataset", missing.string(), "--keep-going"});
  INFO(result.err);
  CHECK(result.exit_code == 1);
  json record = ws.batch_record();
  CHECK(record["status"] == "failed");
  CHECK(item_named(record, "ses-01")["status"] == "succeeded");
  REQUIRE(record["missing_datasets"].size() == 1);
  CHECK(record["missing_datasets"][0].get<std::string>().find(missing.string()) != std::string::npos);
}

TEST_CASE("a failing item does not stop the others unless --fail-fast, and the batch exits 1", "[inproc][batch]")
{
  BatchWorkspace ws;
  ws.session("ses-01", "FAIL");
  ws.session("ses-02");
  ws.session("ses-03");
  CommandResult result = ws.batch({"--dataset", (ws.sessions / "*").string(), "-j", "1"});
  CHECK(result.exit_code == 1);
  json record = ws.batch_record();
  CHECK(record["status"] == "failed");
  CHECK(item_named(record, "ses-01")["status"] == "failed");
  CHECK(item_named(record, "ses-01")["exit_code"] == 1);
  CHECK(item_named(record, "ses-02")["status"] == "succeeded");
  CHECK(item_named(record, "ses-03")["status"] == "succeeded");

  fs::remove_all(ws.out);
  result = ws.batch({"--dataset", (ws.sessions / "*").string(), "-j", "1", "--fail-fast"});
  CHECK(result.exit_code == 1);
  record = ws.batch_record();
  CHECK(item_named(record, "ses-01")["status"] == "failed");
  CHECK(item_named(record, "ses-02")["decision"] == "not started");
  CHECK(item_named(record, "ses-03")["decision"] == "not started");
  CHECK_FALSE(fs::exists(ws.out / "ses-02"));
}

TEST_CASE("batch takes datasets and per-item configs from a TSV list, paths relative to the list", "[inproc][batch]")
{
  BatchWorkspace ws;
  ws.session("ses-01");
  ws.session("ses-02");
  write_file(ws.root / "study" / "b.json", R"({"k": "from file"})");
  write_file(ws.root / "study" / "items.tsv", "dataset\tconfig\n"
                                              "# a comment\n"
                                              "sessions/ses-01\t{\"k\": 7}\n"
                                              "\n"
                                              "sessions/ses-02\tb.json\n");
  CommandResult result = ws.batch({"--datasets-from", (ws.root / "study" / "items.tsv").string()});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(json::parse(read_file(ws.out / "ses-01" / "cli-test" / "seen.json"))["config"] == json{{"k", 7}});
  CHECK(json::parse(read_file(ws.out / "ses-02" / "cli-test" / "seen.json"))["config"] == json{{"k", "from file"}});
  json record = ws.batch_record();
  CHECK(item_named(record, "ses-01")["config_hash_sha256"] != item_named(record, "ses-02")["config_hash_sha256"]);

  write_file(ws.root / "bad.tsv", "path\tconfig\nsessions/ses-01\t{}\n");
  result = ws.batch({"--datasets-from", (ws.root / "bad.tsv").string()});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("bad.tsv:1") != std::string::npos);
}

TEST_CASE("Ctrl-C stops a batch's running items (cancelled), starts nothing more and exits 130", "[inproc][batch]")
{
  BatchWorkspace ws;
  ws.session("ses-01", "SLOW");
  ws.session("ses-02");
  ws.session("ses-03");
  CommandOptions options = ws.options;
  options.interrupt_when = [&ws](int, const CommandResult&) {
    std::error_code error;
    // Items run --quiet: the plugin's output is in its run's log.
    for (const auto& entry : fs::directory_iterator(ws.out / "ses-01" / "_runs", error)) {
      if (entry.path().extension() == ".log" &&
          read_file(entry.path()).find("slow item started") != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  CommandResult result = ws.batch({"--dataset", (ws.sessions / "*").string(), "-j", "1"}, &options);
  INFO(result.err);
  CHECK(result.exit_code == 130);
  json record = ws.batch_record();
  CHECK(record["status"] == "cancelled");
  CHECK(item_named(record, "ses-01")["status"] == "cancelled");
  CHECK(item_named(record, "ses-02")["decision"] == "not started");
  CHECK(item_named(record, "ses-03")["decision"] == "not started");
}

TEST_CASE("batch refuses an --out that holds single runs (_runs/)", "[inproc][batch]")
{
  BatchWorkspace ws;
  ws.session("ses-01");
  fs::create_directories(ws.out / "_runs");
  CommandResult result = ws.batch({"--dataset", (ws.sessions / "*").string()});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("_runs") != std::string::npos);
  CHECK_FALSE(fs::exists(ws.out / "_batches"));
}
