#include <catch2/catch.hpp>

#include "core/archive/archive.hpp"
#include "core/util/error.hpp"
#include "core/records/pack.hpp"
#include "core/records/rocrate.hpp"
#include "core/records/rocrate_update.hpp"
#include "core/hash/sha256.hpp"
#include "core/records/verify.hpp"
#include "support/outputs_fixture.hpp"

#include <sys/stat.h>

namespace fs = std::filesystem;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;
using mdivicom::test::write_run_record;

namespace {

const std::string k_run1 = "20250101T000000Z_00000001";
const std::string k_run2 = "20250102T000000Z_00000002";

void make_outputs(const fs::path& dir)
{
  write_file(dir / "table.csv", "a,b\n1,2\n");
  write_file(dir / "plots/fig.svg", "<svg/>");
  write_file(dir / "plots/gone.txt", "soon deleted");
  write_file(dir / "run.sh", "#!/bin/sh\n");
  fs::create_symlink("table.csv", dir / "latest.csv");
}

std::map<std::string, std::string> mismatches_by_path(const mdivicom::RunCheck& run)
{
  std::map<std::string, std::string> found;
  for (const auto& mismatch : run.mismatches) {
    found[mismatch.path] = mismatch.kind;
  }
  return found;
}

} // namespace

TEST_CASE("verify passes when outputs match their record", "[core][verify]")
{
  TempDir out;
  make_outputs(out / "tracker");
  write_run_record(out.path(), "tracker", k_run1);
  auto report = mdivicom::verify_outputs(out.path());
  CHECK(report.ok());
  REQUIRE(report.runs.size() == 1);
  CHECK(report.runs[0].state == "ok");
  CHECK(report.runs[0].entries_checked == 5);
  CHECK(report.to_text().find("all outputs match") != std::string::npos);
}

TEST_CASE("verify names modified, missing and unexpected files", "[core][verify]")
{
  TempDir out;
  make_outputs(out / "tracker");
  write_run_record(out.path(), "tracker", k_run1);

  write_file(out / "tracker/table.csv", "a,b\n1,3\n"); // same size, other content
  fs::remove(out / "tracker/plots/gone.txt");
  write_file(out / "tracker/plots/extra.png", "png");
  fs::permissions(out / "tracker/run.sh", fs::perms::owner_exec, fs::perm_options::add);
  fs::remove(out / "tracker/latest.csv");
  fs::create_symlink("plots/fig.svg", out / "tracker/latest.csv");

  auto report = mdivicom::verify_outputs(out.path());
  CHECK_FALSE(report.ok());
  REQUIRE(report.runs.size() == 1);
  CHECK(report.runs[0].state == "mismatch");
  auto found = mismatches_by_path(report.runs[0]);
  CHECK(found == std::map<std::string, std::string>{{"table.csv", "modified"},
                                                    {"plots/gone.txt", "missing"},
                                                    {"plots/extra.png", "unexpected"},
                                                    {"run.sh", "modified"},
                                                    {"latest.csv", "modified"}});
  std::string text = report.to_text();
  CHECK(text.find("content changed") != std::string::npos);
  CHECK(text.find("became executable") != std::string::npos);
  CHECK(text.find("link target") != std::string::npos);
  auto json = report.to_json();
  CHECK(json["ok"] == false);
  CHECK(json["runs"][0]["mismatches"].size() == 5);
}

TEST_CASE("verify reports a deleted output directory as missing files", "[core][verify]")
{
  TempDir out;
  make_outputs(out / "tracker");
  write_run_record(out.path(), "tracker", k_run1);
  fs::remove_all(out / "tracker");
  auto report = mdivicom::verify_outputs(out.path());
  CHECK_FALSE(report.ok());
  CHECK(report.runs[0].mismatches.size() == 5);
  CHECK(report.runs[0].message.find("missing") != std::string::npos);
}

TEST_CASE("verify catches a record whose file list was edited", "[core][verify]")
{
  TempDir out;
  make_outputs(out / "tracker");
  auto record = write_run_record(out.path(), "tracker", k_run1);
  // Someone "fixes" the record to match a changed file.
  write_file(out / "tracker/table.csv", "forged\n");
  for (auto& file : record["outputs"]["files"]) {
    if (file["path"] == "table.csv") {
      file["sha256"] = mdivicom::sha256_hex("forged\n");
      file["size"] = 7;
    }
  }
  write_file(out / "_runs" / (k_run1 + ".json"), record.dump(2));
  auto report = mdivicom::verify_outputs(out.path());
  CHECK_FALSE(report.ok());
  CHECK(report.runs[0].state == "bad_record");
  CHECK(report.runs[0].message.find("tree_sha256") != std::string::npos);
}

TEST_CASE("verify checks a separate inventory file and its hash", "[core][verify]")
{
  TempDir out;
  make_outputs(out / "tracker");
  write_run_record(out.path(), "tracker", k_run1, 2);
  REQUIRE(fs::exists(out / "_runs" / (k_run1 + ".inventory.jsonl")));
  CHECK(mdivicom::verify_outputs(out.path()).ok());

  std::string text = mdivicom::test::read_file(out / "_runs" / (k_run1 + ".inventory.jsonl"));
  write_file(out / "_runs" / (k_run1 + ".inventory.jsonl"),
             text + "{\"path\":\"zz\",\"size\":1,\"sha256\":\"00\",\"type\":\"file\"}\n");
  auto report = mdivicom::verify_outputs(out.path());
  CHECK(report.runs[0].state == "bad_record");
  CHECK(report.runs[0].message.find("inventory_sha256") != std::string::npos);

  fs::remove(out / "_runs" / (k_run1 + ".inventory.jsonl"));
  CHECK(mdivicom::verify_outputs(out.path()).runs[0].message.find("missing") != std::string::npos);
}

TEST_CASE("only the latest run of an output directory is checked", "[core][verify]")
{
  TempDir out;
  make_outputs(out / "tracker");
  write_run_record(out.path(), "tracker", k_run1);
  write_file(out / "tracker/table.csv", "rewritten by the second run\n");
  write_run_record(out.path(), "tracker", k_run2);
  auto report = mdivicom::verify_outputs(out.path());
  CHECK(report.ok());
  REQUIRE(report.runs.size() == 2);
  CHECK(report.runs[0].state == "superseded");
  CHECK(report.runs[1].state == "ok");
}

TEST_CASE("of two runs in the same second, the one that finished last is checked, whatever their ids", "[core][verify]")
{
  // Run ids resolve to one second; the random part gave the later run the smaller id.
  const std::string earlier = "20250101T000000Z_c0000001";
  const std::string later = "20250101T000000Z_00000002";
  TempDir out;
  make_outputs(out / "tracker");
  mdivicom::test::set_run_times(out.path(), write_run_record(out.path(), "tracker", earlier),
                                "2025-01-01T00:00:00.100000Z", "2025-01-01T00:00:00.400000Z");
  write_file(out / "tracker/table.csv", "rewritten by the later run\n");
  mdivicom::test::set_run_times(out.path(), write_run_record(out.path(), "tracker", later),
                                "2025-01-01T00:00:00.500000Z", "2025-01-01T00:00:00.900000Z");
  auto report = mdivicom::verify_outputs(out.path());
  INFO(report.to_text());
  CHECK(report.ok());
  REQUIRE(report.runs.size() == 2);
  CHECK(report.runs[0].run_id == later); // listed in run id order
  CHECK(report.runs[0].state == "ok");
  CHECK(report.runs[1].state == "superseded");

  // Equal times (or none): the run id decides, as before.
  mdivicom::test::set_run_times(out.path(), write_run_record(out.path(), "tracker", later), "", "");
  mdivicom::test::set_run_times(
      out.path(), nlohmann::json::parse(mdivicom::test::read_file(out / "_runs" / (earlier + ".json"))), "", "");
  report = mdivicom::verify_outputs(out.path());
  CHECK(report.runs[0].state == "superseded");
  CHECK(report.runs[1].state == "mismatch");
}

TEST_CASE("a record with a hostile output root or broken JSON is reported, not followed", "[core][verify]")
{
  TempDir out;
  make_outputs(out / "tracker");
  auto record = write_run_record(out.path(), "tracker", k_run1);
  record["outputs"]["root"] = "../../etc";
  write_file(out / "_runs" / (k_run1 + ".json"), record.dump());
  write_file(out / "_runs" / (k_run2 + ".json"), "{ not json");
  auto report = mdivicom::verify_outputs(out.path());
  CHECK_FALSE(report.ok());
  CHECK(report.runs[0].state == "bad_record");
  CHECK(report.runs[1].state == "bad_record");
  CHECK(report.runs[1].message.find("not valid JSON") != std::string::npos);
}

TEST_CASE("verify of a missing directory or one without records is a usage error", "[core][verify]")
{
  TempDir out;
  auto expect_usage = [](const fs::path& path, const std::string& words) {
    try {
      mdivicom::verify_outputs(path);
      FAIL("no error for " << path);
    } catch (const mdivicom::Error& e) {
      CHECK(e.code() == mdivicom::ExitCode::usage);
      CHECK(std::string(e.what()).find(words) != std::string::npos);
    }
  };
  expect_usage(out / "nope", "no such directory");
  expect_usage(out.path(), "no run records");
  write_file(out / "_runs" / (k_run1 + ".json"), R"({"run_id": "x", "status": "failed"})");
  expect_usage(out.path(), "no run record");
}

TEST_CASE("a pack verifies like the directory it came from, and tampering inside it is found", "[core][verify]")
{
  TempDir out;
  TempDir packs;
  make_outputs(out / "tracker");
  write_file(out / "other/result.json", "{}");
  write_run_record(out.path(), "tracker", k_run1, 2);
  write_run_record(out.path(), "other", k_run2);

  for (std::string name : {"p.tar.gz", "p.tar.zst", "p.zip"}) {
    INFO(name);
    mdivicom::pack_outputs(out.path(), packs / name);
    auto report = mdivicom::verify_outputs(packs / name);
    CHECK(report.ok());
    REQUIRE(report.runs.size() == 2);
    CHECK(report.runs[0].state == "ok");
    CHECK(report.runs[1].state == "ok");
  }

  // Rebuild the pack with one output changed and one added.
  mdivicom::ArchiveReader reader(packs / "p.tar.gz");
  mdivicom::ArchiveWriter writer(packs / "tampered.tar.gz", mdivicom::ArchiveFormat::tar_gz);
  while (auto header = reader.next()) {
    std::string data;
    char buffer[4096];
    for (size_t count; (count = reader.read(buffer, sizeof(buffer))) > 0;) {
      data.append(buffer, count);
    }
    if (header->type == mdivicom::EntryType::directory) {
      writer.add_directory(header->path, 0755, 0);
    } else if (header->type == mdivicom::EntryType::symlink) {
      writer.add_symlink(header->path, header->link_target, 0);
    } else {
      if (header->path == "other/result.json") {
        data = "{\"forged\": true}";
      }
      writer.begin_file(header->path, data.size(), header->mode, 0);
      writer.write_data(data.data(), data.size());
    }
  }
  writer.begin_file("tracker/injected.txt", 1, 0644, 0);
  writer.write_data("x", 1);
  writer.finish();

  auto report = mdivicom::verify_outputs(packs / "tampered.tar.gz");
  CHECK_FALSE(report.ok());
  CHECK(mismatches_by_path(report.runs[0]) == std::map<std::string, std::string>{{"injected.txt", "unexpected"}});
  CHECK(mismatches_by_path(report.runs[1]) == std::map<std::string, std::string>{{"result.json", "modified"}});
}

TEST_CASE("very many small files: a separate inventory, verified, with the one changed file named", "[core][verify]")
{
  mdivicom::test::MemoryTempDirs in_memory;
  TempDir out;
  const int count = 15'000; // past the 10,000 embedded in a record; 100,000 run in bench/
  for (int i = 0; i < count; ++i) {
    write_file(out / "many" / ("d" + std::to_string(i % 100)) / ("f" + std::to_string(i) + ".txt"), std::to_string(i));
  }
  auto record = write_run_record(out.path(), "many", k_run1);
  CHECK(record["outputs"]["file_count"] == count);
  CHECK(record["outputs"].contains("inventory_path"));
  CHECK(mdivicom::verify_outputs(out.path()).ok());

  write_file(out / "many/d7/f12307.txt", "changed");
  auto report = mdivicom::verify_outputs(out.path());
  REQUIRE(report.runs[0].mismatches.size() == 1);
  CHECK(report.runs[0].mismatches[0].path == "d7/f12307.txt");
  CHECK(report.runs[0].mismatches[0].kind == "modified");
}

TEST_CASE("records with outputs of the wrong kinds are bad records, not crashes", "[core][verify]")
{
  TempDir out;
  make_outputs(out / "tracker");
  const std::vector<std::string> hostile = {
      R"({"root": "tracker", "tree_sha256": 5, "inventory_path": 7, "inventory_sha256": []})",
      R"({"root": "tracker", "tree_sha256": "00", "files": [1, "two", {"path": 3}]})",
      R"({"root": "tracker", "tree_sha256": "00", "files": {"path": "x"}})",
      R"({"root": "tracker", "tree_sha256": "00", "inventory_path": "/etc/passwd", "inventory_sha256": "00"})",
      R"({"root": "tracker", "tree_sha256": "00", "inventory_path": "_runs/../../x", "inventory_sha256": "00"})",
      R"({"root": ["tracker"]})",
      R"("just text")",
  };
  for (size_t i = 0; i < hostile.size(); ++i) {
    INFO(hostile[i]);
    write_file(out / "_runs" / (k_run1 + ".json"),
               R"({"run_id": ")" + k_run1 + R"(", "plugin_out_dir": "/x/tracker", "out_dir": "/x", "outputs": )" +
                   hostile[i] + "}");
    mdivicom::VerifyReport report;
    REQUIRE_NOTHROW(report = mdivicom::verify_outputs(out.path()));
    CHECK_FALSE(report.ok());
    CHECK(report.runs[0].state == "bad_record");
  }
}

TEST_CASE("a run whose inventory was interrupted still supersedes the earlier runs of its directory",
          "[core][verify][rocrate]")
{
  TempDir out;
  make_outputs(out / "tracker");
  write_run_record(out.path(), "tracker", k_run1);
  // A later run rewrote the files, and a Ctrl-C stopped its inventory: its record has none.
  write_file(out / "tracker/table.csv", "rewritten\n");
  nlohmann::json later = write_run_record(out.path(), "tracker", k_run2);
  later.erase("outputs");
  later["interrupted"] = {{"during", "inventory"}};
  mdivicom::test::set_run_times(out.path(), later, "2025-01-02T00:00:01Z", "2025-01-02T00:00:09Z");

  auto report = mdivicom::verify_outputs(out.path());
  CHECK_FALSE(report.ok()); // the latest run cannot be checked, which fails unless allowed
  report.allow_unchecked = true;
  CHECK(report.ok()); // the earlier run's inventory is not held against today's files
  REQUIRE(report.runs.size() == 2);
  CHECK(report.runs[0].state == "superseded");
  CHECK(report.runs[1].state == "unchecked");
  CHECK(report.runs[1].message.find("interrupted") != std::string::npos);

  // The crate agrees: built from the records, the interrupted run's result is the directory
  // and the earlier run no longer lists the files as its own.
  nlohmann::json crate = mdivicom::build_rocrate(out.path());
  auto action = [&](const std::string& run_id) {
    for (const auto& entity : crate["@graph"]) {
      if (entity["@id"] == "#run-" + run_id) {
        return entity;
      }
    }
    FAIL("no action for " << run_id);
    return nlohmann::json();
  };
  CHECK(action(k_run2)["result"] == nlohmann::json::array({{{"@id", "tracker/"}}}));
  CHECK(action(k_run1)["result"] == nlohmann::json::array({{{"@id", "tracker/"}}}));

  // Added one run at a time, as the runs happened, it is the same crate.
  fs::remove(out / "ro-crate-metadata.json");
  fs::rename(out / "_runs" / (k_run2 + ".json"), out / "later.json");
  mdivicom::write_rocrate(out.path(), k_run1,
                          nlohmann::json::parse(mdivicom::test::read_file(out / "_runs" / (k_run1 + ".json"))));
  fs::rename(out / "later.json", out / "_runs" / (k_run2 + ".json"));
  mdivicom::write_rocrate(out.path(), k_run2,
                          nlohmann::json::parse(mdivicom::test::read_file(out / "_runs" / (k_run2 + ".json"))));
  CHECK(nlohmann::json::parse(mdivicom::test::read_file(out / "ro-crate-metadata.json")) == crate);
}

TEST_CASE("a failed run whose inventory was interrupted does not supersede the run whose outputs were put back",
          "[core][verify][rocrate]")
{
  TempDir out;
  make_outputs(out / "tracker");
  write_run_record(out.path(), "tracker", k_run1);
  // Run 2 (--overwrite) was cancelled: the output slot moved its files aside and put run 1's
  // back, then a second Ctrl-C stopped its inventory.
  const fs::path failed_dir = out / "_runs" / (k_run2 + ".failed-outputs");
  write_file(failed_dir / "table.csv", "half-made\n");
  nlohmann::json later = write_run_record(out.path(), "tracker", k_run2);
  later.erase("outputs");
  later["status"] = "cancelled";
  later["interrupted"] = {{"during", "inventory"}};
  later["previous_outputs"] = {{"outcome", "restored"}, {"failed_outputs", failed_dir.string()}};
  mdivicom::test::set_run_times(out.path(), later, "2025-01-02T00:00:01Z", "2025-01-02T00:00:09Z");

  auto report = mdivicom::verify_outputs(out.path());
  report.allow_unchecked = true;
  CHECK(report.ok());
  REQUIRE(report.runs.size() == 2);
  CHECK(report.runs[0].state == "ok");        // run 1's files are what tracker/ holds, and they are checked
  CHECK(report.runs[1].state == "unchecked"); // the failed run's own files, moved aside
  CHECK(report.runs[1].root == "_runs/" + k_run2 + ".failed-outputs");

  nlohmann::json crate = mdivicom::build_rocrate(out.path());
  for (const auto& entity : crate["@graph"]) {
    if (entity["@id"] == "#run-" + k_run1) {
      CHECK(entity["result"].size() > 1); // still lists its files
    }
  }
}
