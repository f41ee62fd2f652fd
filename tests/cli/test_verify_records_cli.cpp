// verify telling the truth (issue 15, item 8): a latest run that cannot be checked fails unless
// allowed, hostile names cannot forge a line, empty directories are part of the inventory.
#include <catch2/catch.hpp>

#include "support/outputs_fixture.hpp"
#include "support/process.hpp"

#include <nlohmann/json.hpp>

#include <sstream>

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
const std::string k_other = "20250101T000000Z_0000beef";

// No line of the text holds a raw escape or carriage return: what could move the cursor.
void check_no_terminal_controls(const std::string& text)
{
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    CHECK(line.find('\x1b') == std::string::npos);
    CHECK(line.find('\r') == std::string::npos);
  }
}

} // namespace

TEST_CASE("verify fails on a latest run whose record has no outputs inventory unless --allow-unchecked",
          "[cli][verify][records]")
{
  TempDir dir;
  write_file(dir / "out/tracker/table.csv", "a,b\n");
  write_run_record(dir / "out", "tracker", k_run);
  write_file(dir / "out/other/x.csv", "x\n");
  nlohmann::json record = write_run_record(dir / "out", "other", k_other);
  record.erase("outputs"); // deleted from the record: nothing shows the files are the run's
  write_file(dir / "out/_runs" / (k_other + ".json"), record.dump(2));

  CommandResult failed = run_mdivicom({"verify", (dir / "out").string()}, isolated_options(dir));
  INFO(failed.out);
  CHECK(failed.exit_code == 1);
  CHECK_THAT(failed.out, Catch::Contains("UNCHECKED   " + k_other + "  other"));
  CHECK_THAT(failed.out, Catch::Contains("--allow-unchecked"));
  CHECK_THAT(failed.out, Catch::Contains("ok          " + k_run + "  tracker"));

  CommandResult allowed = run_mdivicom({"verify", "--allow-unchecked", (dir / "out").string()}, isolated_options(dir));
  CHECK(allowed.exit_code == 0);
  CHECK_THAT(allowed.out, Catch::Contains("unchecked   " + k_other));
  CHECK_THAT(allowed.out, Catch::Contains("could not be checked (allowed by --allow-unchecked)"));

  auto report =
      nlohmann::json::parse(run_mdivicom({"verify", "--json", (dir / "out").string()}, isolated_options(dir)).out);
  CHECK(report["ok"] == false);
  CHECK(report["runs"][1]["state"] == "unchecked");
  report = nlohmann::json::parse(
      run_mdivicom({"verify", "--json", "--allow-unchecked", (dir / "out").string()}, isolated_options(dir)).out);
  CHECK(report["ok"] == true);
}

TEST_CASE("verify escapes control characters in file names, so that a name cannot forge an ok line",
          "[cli][verify][records]")
{
  TempDir dir;
  write_file(dir / "out/tracker/table.csv", "a,b\n");
  write_run_record(dir / "out", "tracker", k_run);
  const std::string forged = "x\nok          20250101T000000Z_00000000  tracker  (9 entries)";
  write_file(dir / "out/tracker" / forged, "forged");
  write_file(dir / "out/tracker" / "red\x1b[31m\rname\x7f", "red");
  write_file(dir / "out/tracker" / "bidi\u202Etxt.exe", "bidi");

  CommandResult result = run_mdivicom({"verify", (dir / "out").string()}, isolated_options(dir));
  INFO(result.out);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out, !Catch::Contains("\nok          20250101T000000Z_00000000"));
  CHECK_THAT(result.out, Catch::Contains("unexpected  x\\nok          20250101T000000Z_00000000"));
  CHECK_THAT(result.out, Catch::Contains("unexpected  red\\x1b[31m\\rname\\x7f"));
  CHECK_THAT(result.out, Catch::Contains("unexpected  bidi\\u202etxt.exe"));
  check_no_terminal_controls(result.out);
  // JSON keeps the exact names (escaped as JSON escapes them).
  auto report =
      nlohmann::json::parse(run_mdivicom({"verify", "--json", (dir / "out").string()}, isolated_options(dir)).out);
  bool found = false;
  for (const auto& mismatch : report["runs"][0]["mismatches"]) {
    found |= mismatch["path"] == forged;
  }
  CHECK(found);
}

TEST_CASE("verify reports empty directories added and removed, in a directory and in a pack",
          "[cli][verify][records][pack]")
{
  TempDir dir;
  write_file(dir / "out/tracker/table.csv", "a,b\n");
  fs::create_directories(dir / "out/tracker/empty/inner");
  fs::create_directories(dir / "out/tracker/filled");
  nlohmann::json record = write_run_record(dir / "out", "tracker", k_run);
  CHECK(record["outputs"]["empty_dirs"] == true);
  CHECK(record["outputs"]["file_count"] == 3);

  CHECK(run_mdivicom({"verify", (dir / "out").string()}, isolated_options(dir)).exit_code == 0);
  REQUIRE(run_mdivicom({"pack", (dir / "out").string(), "-o", (dir / "p.tar.gz").string()}, isolated_options(dir))
              .exit_code == 0);
  CommandResult packed = run_mdivicom({"verify", (dir / "p.tar.gz").string()}, isolated_options(dir));
  INFO(packed.out);
  CHECK(packed.exit_code == 0);

  fs::remove(dir / "out/tracker/empty/inner");
  fs::create_directories(dir / "out/tracker/added");
  write_file(dir / "out/tracker/filled/now.txt", "x");
  CommandResult result = run_mdivicom({"verify", (dir / "out").string()}, isolated_options(dir));
  INFO(result.out);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out, Catch::Contains("unexpected  added: not in the record: directory"));
  CHECK_THAT(result.out, Catch::Contains("missing     empty/inner: recorded directory"));
  CHECK_THAT(result.out, Catch::Contains("unexpected  empty: not in the record: directory"));
  CHECK_THAT(result.out, Catch::Contains("modified    filled: was an empty directory, now holds entries"));
}

TEST_CASE("a record made before empty directories were recorded still verifies, ignoring empty directories",
          "[cli][verify][records]")
{
  TempDir dir;
  write_file(dir / "out/tracker/table.csv", "a,b\n");
  nlohmann::json record = write_run_record(dir / "out", "tracker", k_run);
  record["outputs"].erase("empty_dirs");
  write_file(dir / "out/_runs" / (k_run + ".json"), record.dump(2));
  fs::create_directories(dir / "out/tracker/added-later");
  CommandResult result = run_mdivicom({"verify", (dir / "out").string()}, isolated_options(dir));
  INFO(result.out);
  CHECK(result.exit_code == 0);
}

TEST_CASE("pack escapes control characters in the names it reports as not packed", "[cli][pack][records]")
{
  TempDir dir;
  write_file(dir / "out/tracker/table.csv", "a,b\n");
  write_run_record(dir / "out", "tracker", k_run);
  write_file(dir / "out" / "stray\nmdivicom: info: packed 0 entries\x1b[2K", "x");
  CommandResult result =
      run_mdivicom({"pack", (dir / "out").string(), "-o", (dir / "p.tar.gz").string()}, isolated_options(dir));
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.err,
             Catch::Contains("not packed: stray\\nmdivicom: info: packed 0 entries\\x1b[2K (no run record"));
  check_no_terminal_controls(result.err);
}
