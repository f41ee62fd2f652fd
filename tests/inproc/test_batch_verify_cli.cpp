#include <catch2/catch.hpp>

#include "cli_workspace.hpp"

using namespace mdivicom::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* k_writer_plugin = R"(
import os
def run(dataset_dir, out_dir, config, *, work_dir=None, dry_run=False):
    with open(os.path.join(out_dir, 'summary.tsv'), 'w') as f:
        f.write('dataset\t' + os.path.basename(dataset_dir) + '\n')
    return {}
)";

// Three sessions run as one batch into <out>/<item>/.
struct VerifiedBatch : CliWorkspace
{
  VerifiedBatch() : CliWorkspace(k_writer_plugin)
  {
    for (const char* name : {"ses-01", "ses-02", "ses-03"}) {
      write_file(root / "sessions" / name / "raw.csv", std::string("t,x\n0,") + name + "\n");
    }
    CommandResult batch = run_mdivicom(
        {"batch", "cli-test", "--out", out.string(), "--dataset", (root / "sessions" / "*").string(), "-j", "2"},
        options);
    INFO(batch.out << batch.err);
    REQUIRE(batch.exit_code == 0);
  }

  CommandResult verify(std::vector<std::string> extra = {})
  {
    std::vector<std::string> args = {"verify", out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_mdivicom(args, options);
  }
};

const json& item_check(const json& report, const std::string& name)
{
  for (const json& item : report["items"]) {
    if (item["item"] == name) {
      return item;
    }
  }
  FAIL("no item " << name << " in " << report.dump(2));
  return report;
}

} // namespace

TEST_CASE("verify of a batch's --out checks every item's runs and sums them up", "[inproc][batch][verify]")
{
  VerifiedBatch ws;
  CommandResult text = ws.verify();
  INFO(text.out << text.err);
  CHECK(text.exit_code == 0);
  for (const char* name : {"ses-01", "ses-02", "ses-03"}) {
    CHECK(text.out.find(std::string("ok          ") + name + "  (1 run, ") != std::string::npos);
  }
  CHECK(text.out.find("verified the batch in " + ws.out.string() + ": 3 items: 3 ok") != std::string::npos);

  CommandResult as_json = ws.verify({"--json"});
  REQUIRE(as_json.exit_code == 0);
  json report = json::parse(as_json.out);
  CHECK(report["kind"] == "batch");
  CHECK(report["ok"] == true);
  CHECK(report["summary"] == json{{"items", 3}, {"ok", 3}, {"mismatch", 0}, {"bad_record", 0}, {"unchecked", 0}});
  for (const char* name : {"ses-01", "ses-02", "ses-03"}) {
    const json& item = item_check(report, name);
    CHECK(item["state"] == "ok");
    REQUIRE(item["runs"].size() == 1);
    CHECK(item["runs"][0]["state"] == "ok");
    CHECK(item["runs"][0]["root"] == "cli-test");
  }
}

TEST_CASE("verify of a batch names the item and the file whose output was tampered with, and exits 1",
          "[inproc][batch][verify]")
{
  VerifiedBatch ws;
  write_file(ws.out / "ses-02" / "cli-test" / "summary.tsv", "dataset\tforged\n");
  CommandResult text = ws.verify();
  INFO(text.out << text.err);
  CHECK(text.exit_code == 1);
  CHECK(text.out.find("MISMATCH    ses-02") != std::string::npos);
  CHECK(text.out.find("modified    ses-02/cli-test/summary.tsv: ") != std::string::npos);
  CHECK(text.out.find("ok          ses-01") != std::string::npos);
  CHECK(text.out.find("verification failed for the batch in " + ws.out.string() + ": 3 items: 2 ok, 1 mismatch") !=
        std::string::npos);

  CommandResult as_json = ws.verify({"--json"});
  CHECK(as_json.exit_code == 1);
  json report = json::parse(as_json.out);
  CHECK(report["ok"] == false);
  CHECK(report["summary"]["mismatch"] == 1);
  const json& tampered = item_check(report, "ses-02");
  CHECK(tampered["state"] == "mismatch");
  CHECK(tampered["runs"][0]["mismatches"][0]["path"] == "summary.tsv");
  CHECK(tampered["runs"][0]["mismatches"][0]["kind"] == "modified");
}

TEST_CASE("verify of a batch reports an item without a run unchecked, and a hostile item name escaped",
          "[inproc][batch][verify]")
{
  VerifiedBatch ws;
  fs::remove_all(ws.out / "ses-03");
  // An edited batch record naming an item with a control character and one outside the --out.
  fs::path record_file;
  for (const auto& entry : fs::directory_iterator(ws.out / "_batches")) {
    if (entry.path().extension() == ".json") {
      record_file = entry.path();
    }
  }
  json record = json::parse(read_file(record_file));
  json forged = record["items"][0];
  forged["item"] = "evil\x1b[2Jname";
  record["items"].push_back(forged);
  forged["item"] = "../outside";
  record["items"].push_back(forged);
  write_file(record_file, record.dump());

  CommandResult text = ws.verify();
  INFO(text.out << text.err);
  CHECK(text.exit_code == 1);
  CHECK(text.out.find("UNCHECKED   ses-03: no run to check: the batch recorded it succeeded") != std::string::npos);
  CHECK(text.out.find("evil\\x1b[2Jname") != std::string::npos);
  CHECK(text.out.find('\x1b') == std::string::npos);
  CHECK(text.out.find("BAD RECORD  ../outside: ") != std::string::npos);

  CommandResult allowed = ws.verify({"--allow-unchecked", "--json"});
  json report = json::parse(allowed.out);
  CHECK(item_check(report, "ses-03")["state"] == "unchecked");
  CHECK(item_check(report, "../outside")["state"] == "bad_record");
  CHECK(allowed.exit_code == 1); // the bad record still fails
}
