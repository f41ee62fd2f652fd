// verify and pack through the real binary, and a real run (the Python example plugin on the
// example dataset, given as an archive) checked end to end.

#include <catch2/catch.hpp>

#include "core/archive/archive.hpp"
#include "support/outputs_fixture.hpp"
#include "support/process.hpp"

#include <nlohmann/json.hpp>

using mdivicom::test::CommandOptions;
using mdivicom::test::CommandResult;
using mdivicom::test::isolated_options;
using mdivicom::test::read_file;
using mdivicom::test::run_mdivicom;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;
using mdivicom::test::write_run_record;

namespace fs = std::filesystem;

namespace {

const std::string k_run = "20250101T000000Z_0000abcd";
const fs::path k_examples = fs::path(MDIVICOM_SOURCE_DIR) / "examples";

void make_out(const fs::path& out)
{
  write_file(out / "tracker/table.csv", "a,b\n1,2\n");
  write_file(out / "tracker/plots/fig.svg", "<svg/>");
  write_file(out / "tracker/notes.txt", "kept");
  write_run_record(out, "tracker", k_run);
  // Needs a pax header (long, non-ASCII): its name must not depend on the process either.
  write_file(out / "tracker/more" / (std::string(110, 'x') + "-é.csv"), "late");
  write_run_record(out, "tracker", "20250102T000000Z_0000abce");
}

} // namespace

TEST_CASE("verify exits 0 with a summary when every output matches, and prints JSON with --json", "[cli][verify]")
{
  TempDir dir;
  make_out(dir / "out");
  auto text = run_mdivicom({"verify", (dir / "out").string()}, isolated_options(dir));
  INFO(text.err);
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("superseded  " + k_run + "  tracker"));
  CHECK_THAT(text.out, Catch::Contains("ok          20250102T000000Z_0000abce  tracker  (4 entries)"));
  CHECK_THAT(text.out, Catch::Contains("all outputs match"));
  auto json = run_mdivicom({"verify", (dir / "out").string(), "--json"}, isolated_options(dir));
  CHECK(json.exit_code == 0);
  auto report = nlohmann::json::parse(json.out);
  CHECK(report["ok"] == true);
  CHECK(report["runs"][1]["state"] == "ok");
}

TEST_CASE("verify exits 1 and names modified, missing and unexpected files", "[cli][verify]")
{
  TempDir dir;
  make_out(dir / "out");
  write_file(dir / "out/tracker/table.csv", "a,b\n9,9\n");
  fs::remove(dir / "out/tracker/notes.txt");
  write_file(dir / "out/tracker/plots/new.png", "png");
  auto result = run_mdivicom({"verify", (dir / "out").string()}, isolated_options(dir));
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out, Catch::Contains("MISMATCH"));
  CHECK_THAT(result.out, Catch::Contains("modified    table.csv: content changed"));
  CHECK_THAT(result.out, Catch::Contains("missing     notes.txt"));
  CHECK_THAT(result.out, Catch::Contains("unexpected  plots/new.png"));
  auto json = run_mdivicom({"verify", "--json", (dir / "out").string()}, isolated_options(dir));
  CHECK(json.exit_code == 1);
  CHECK(nlohmann::json::parse(json.out)["runs"][1]["mismatches"].size() == 3);
}

TEST_CASE("verify exits 2 for a missing directory or one without run records", "[cli][verify]")
{
  TempDir dir;
  auto missing = run_mdivicom({"verify", (dir / "nope").string()}, isolated_options(dir));
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("mdivicom: error: cannot verify"));
  fs::create_directories(dir / "empty");
  auto empty = run_mdivicom({"verify", (dir / "empty").string()}, isolated_options(dir));
  CHECK(empty.exit_code == 2);
  CHECK_THAT(empty.err, Catch::Contains("no run records"));
}

TEST_CASE("packs made by separate processes from copies in other places and time zones are identical", "[cli][pack]")
{
  TempDir dir;
  make_out(dir / "out");
  fs::create_directories(dir / "elsewhere");
  fs::copy(dir / "out", dir / "elsewhere/copy", fs::copy_options::recursive);
  fs::last_write_time(dir / "elsewhere/copy/tracker/table.csv",
                      fs::file_time_type::clock::now() - std::chrono::hours(50));
  for (std::string name : {"p.zip", "p.tar.gz", "p.tar.zst"}) {
    INFO(name);
    CommandOptions here = isolated_options(dir);
    here.env["TZ"] = "UTC";
    CommandOptions there = isolated_options(dir);
    there.env["TZ"] = "Pacific/Chatham";
    there.cwd = dir / "elsewhere";
    auto first = run_mdivicom({"pack", (dir / "out").string(), "-o", (dir / ("a-" + name)).string()}, here);
    auto second = run_mdivicom({"pack", "copy", "-o", (dir / ("b-" + name)).string()}, there);
    INFO(first.err << second.err);
    REQUIRE(first.exit_code == 0);
    REQUIRE(second.exit_code == 0);
    CHECK(read_file(dir / ("a-" + name)) == read_file(dir / ("b-" + name)));
    auto verified = run_mdivicom({"verify", (dir / ("b-" + name)).string()}, here);
    CHECK(verified.exit_code == 0);
    CHECK_THAT(verified.out, Catch::Contains("all outputs match"));
  }
}

TEST_CASE("pack refuses an unknown archive type, naming the supported ones", "[cli][pack]")
{
  TempDir dir;
  make_out(dir / "out");
  auto result = run_mdivicom({"pack", (dir / "out").string(), "-o", (dir / "p.7z").string()}, isolated_options(dir));
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains(".tar.gz (or .tgz), .tar.zst, .zip"));
  CHECK_FALSE(fs::exists(dir / "p.7z"));
}

TEST_CASE("verify of a damaged pack fails with an error naming it", "[cli][verify]")
{
  TempDir dir;
  make_out(dir / "out");
  REQUIRE(run_mdivicom({"pack", (dir / "out").string(), "-o", (dir / "p.tar.gz").string()}, isolated_options(dir))
              .exit_code == 0);
  std::string bytes = read_file(dir / "p.tar.gz");
  write_file(dir / "cut.tar.gz", bytes.substr(0, bytes.size() / 2));
  auto result = run_mdivicom({"verify", (dir / "cut.tar.gz").string()}, isolated_options(dir));
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains("cut.tar.gz"));
}

TEST_CASE("a real run records its outputs, dataset and crate, and verify, pack and tampering agree",
          "[cli][verify][pack][run]")
{
  TempDir dir;
  CommandOptions options = isolated_options(dir);
  options.env["MDIVICOM_DEV_PLUGIN_ROOTS"] = (k_examples / "python" / "mdivicom-stream-inventory").string();
  // The dataset as an archive with one top folder, as `tar czf` makes it.
  {
    mdivicom::ArchiveWriter writer(dir / "session.tar.gz", mdivicom::ArchiveFormat::tar_gz);
    for (const auto& entry : fs::recursive_directory_iterator(k_examples / "dataset")) {
      std::string name = "dataset/" + entry.path().lexically_relative(k_examples / "dataset").generic_string();
      if (entry.is_directory()) {
        writer.add_directory(name, 0755, 0);
      } else {
        std::string data = read_file(entry.path());
        writer.begin_file(name, data.size(), 0644, 0);
        writer.write_data(data.data(), data.size());
      }
    }
    writer.finish();
  }
  auto run = run_mdivicom({"run", "stream-inventory", "-q", "--dataset", (dir / "session.tar.gz").string(), "--out",
                           (dir / "out").string()},
                          options);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);

  fs::path record_file;
  for (const auto& entry : fs::directory_iterator(dir / "out/_runs")) {
    if (entry.path().extension() == ".json") {
      record_file = entry.path();
    }
  }
  auto record = nlohmann::json::parse(read_file(record_file));
  CHECK(record["outputs"]["root"] == "stream-inventory");
  CHECK(record["outputs"]["file_count"].get<int>() >= 2);
  CHECK(record["dataset"]["mode"] == "full");
  CHECK(record["dataset"]["archive"]["sha256"].get<std::string>().size() == 64);
  auto crate = nlohmann::json::parse(read_file(dir / "out/ro-crate-metadata.json"));
  bool has_action = false;
  for (const auto& entity : crate["@graph"]) {
    has_action |= entity["@type"] == "CreateAction" && entity["result"].size() == record["outputs"]["file_count"];
  }
  CHECK(has_action);

  // The same dataset as a directory has the same fingerprint.
  auto direct = run_mdivicom({"run", "stream-inventory", "-q", "--dataset", (k_examples / "dataset").string(), "--out",
                              (dir / "out-direct").string(), "--dataset-hash", "full"},
                             options);
  REQUIRE(direct.exit_code == 0);
  for (const auto& entry : fs::directory_iterator(dir / "out-direct/_runs")) {
    if (entry.path().extension() == ".json") {
      auto other = nlohmann::json::parse(read_file(entry.path()));
      CHECK(other["dataset"]["fingerprint_sha256"] == record["dataset"]["fingerprint_sha256"]);
    }
  }

  CHECK(run_mdivicom({"verify", (dir / "out").string()}, options).exit_code == 0);
  REQUIRE(run_mdivicom({"pack", (dir / "out").string(), "-o", (dir / "out.zip").string()}, options).exit_code == 0);
  CHECK(run_mdivicom({"verify", (dir / "out.zip").string()}, options).exit_code == 0);
  write_file(dir / "out/stream-inventory/inventory.csv", "edited by hand\n");
  auto tampered = run_mdivicom({"verify", (dir / "out").string()}, options);
  CHECK(tampered.exit_code == 1);
  CHECK_THAT(tampered.out, Catch::Contains("inventory.csv"));
  CHECK(run_mdivicom({"verify", (dir / "out.zip").string()}, options).exit_code == 0); // the pack kept the original
}

TEST_CASE("run records --dataset-hash fast and off, and refuses other modes", "[cli][run]")
{
  TempDir dir;
  CommandOptions options = isolated_options(dir);
  options.env["MDIVICOM_DEV_PLUGIN_ROOTS"] = (k_examples / "python" / "mdivicom-stream-inventory").string();
  for (std::string mode : {"fast", "off"}) {
    fs::path out = dir / ("out-" + mode);
    auto run = run_mdivicom({"run", "stream-inventory", "-q", "--dataset", (k_examples / "dataset").string(), "--out",
                             out.string(), "--dataset-hash", mode},
                            options);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    for (const auto& entry : fs::directory_iterator(out / "_runs")) {
      if (entry.path().extension() == ".json") {
        auto record = nlohmann::json::parse(read_file(entry.path()));
        CHECK(record["dataset"]["mode"] == mode);
        CHECK(record["dataset"].contains("fingerprint_sha256") == (mode == "fast"));
      }
    }
  }
  auto bad = run_mdivicom({"run", "stream-inventory", "--dataset", (k_examples / "dataset").string(), "--out",
                           (dir / "out-bad").string(), "--dataset-hash", "quick"},
                          options);
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--dataset-hash"));
}
