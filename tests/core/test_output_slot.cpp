#include <catch2/catch.hpp>

#include "core/util/error.hpp"
#include "core/run/output_slot.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

using mdivicom::OutputSlot;
using mdivicom::test::read_file;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;

namespace fs = std::filesystem;

TEST_CASE("a missing plugin output directory is created and nothing is parked", "[core][outputs]")
{
  TempDir out;
  OutputSlot slot(out / "tool", out / "_runs", "r1", false);
  CHECK(fs::is_directory(out / "tool"));
  CHECK(slot.parked_dir().empty());
  CHECK(slot.settle(false).is_null());
  CHECK(fs::is_directory(out / "tool"));
}

TEST_CASE("earlier outputs are refused without --overwrite and left untouched", "[core][outputs]")
{
  TempDir out;
  write_file(out / "tool" / "result.csv", "old");
  fs::create_directories(out / "_runs");
  try {
    OutputSlot slot(out / "tool", out / "_runs", "r1", false);
    FAIL("no error");
  } catch (const mdivicom::Error& e) {
    CHECK(e.code() == mdivicom::ExitCode::out_of_date);
    CHECK_THAT(std::string(e.what()), Catch::Contains("--overwrite"));
  }
  CHECK(read_file(out / "tool" / "result.csv") == "old");
}

TEST_CASE("with --overwrite a failed run restores the earlier outputs", "[core][outputs]")
{
  TempDir out;
  write_file(out / "tool" / "result.csv", "old");
  fs::create_directories(out / "_runs");
  OutputSlot slot(out / "tool", out / "_runs", "r2", true);
  CHECK_FALSE(fs::exists(out / "tool" / "result.csv"));
  CHECK(read_file(slot.parked_dir() / "result.csv") == "old");
  write_file(out / "tool" / "partial.csv", "half");
  auto fragment = slot.settle(false);
  CHECK(fragment["outcome"] == "restored");
  CHECK(read_file(out / "tool" / "result.csv") == "old");
  CHECK_FALSE(fs::exists(out / "tool" / "partial.csv"));
  CHECK(read_file(out / "_runs" / "r2.failed-outputs" / "partial.csv") == "half");
  CHECK_FALSE(fs::exists(out / "_runs" / "r2.previous"));
}

TEST_CASE("with --overwrite a successful run replaces the earlier outputs", "[core][outputs]")
{
  TempDir out;
  write_file(out / "tool" / "result.csv", "old");
  fs::create_directories(out / "_runs");
  OutputSlot slot(out / "tool", out / "_runs", "r3", true);
  write_file(out / "tool" / "result.csv", "new");
  auto fragment = slot.settle(true);
  CHECK(fragment["outcome"] == "replaced");
  CHECK(read_file(out / "tool" / "result.csv") == "new");
  CHECK_FALSE(fs::exists(out / "_runs" / "r3.previous"));
}

TEST_CASE("a file where the plugin output directory should be is refused", "[core][outputs]")
{
  TempDir out;
  write_file(out / "tool", "not a dir");
  CHECK_THROWS_AS(OutputSlot(out / "tool", out / "_runs", "r4", true), mdivicom::Error);
  CHECK(read_file(out / "tool") == "not a dir");
}

TEST_CASE("outputs parked by a run that was killed are given back by the next slot of the directory", "[core][outputs]")
{
  TempDir out;
  write_file(out / "tool/old.txt", "old");
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    OutputSlot slot(out / "tool", out / "_runs", "r1", true);
    write_file(out / "tool/new.txt", "half");
    ::_exit(0); // as SIGKILL would end it: no destructor gives the parked outputs back
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(read_file(out / "_runs/r1.previous/old.txt") == "old");

  {
    OutputSlot next(out / "tool", out / "_runs", "r2", true);
    CHECK(next.recovered()["killed_run"] == "r1");
    CHECK(next.recovered()["restored_by"] == "r2");
    CHECK_FALSE(fs::exists(out / "_runs/r1.previous"));
    CHECK(read_file(out / "_runs/r1.failed-outputs/new.txt") == "half");
    CHECK(read_file(out / "_runs/r2.previous/old.txt") == "old"); // parked again, by this run
    next.settle(false);
    CHECK(read_file(out / "tool/old.txt") == "old");
  }

  // Settled: the slot after it finds nothing to give back.
  OutputSlot later(out / "tool", out / "_runs", "r3", true);
  CHECK(later.recovered().is_null());
  later.settle(true);
}

TEST_CASE("a run killed with nothing parked has its running record finalized by the next slot", "[core][outputs]")
{
  TempDir out;
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    OutputSlot slot(out / "tool", out / "_runs", "r1", false);
    write_file(out / "_runs/r1.json", R"({"run_id": "r1", "status": "running", "plugin_out_dir": "/x/tool"})");
    write_file(out / "tool/half.txt", "half");
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);

  {
    OutputSlot next(out / "tool", out / "_runs", "r2", true);
    CHECK(next.recovered().is_null()); // nothing to give back
    CHECK(read_file(out / "_runs/r2.previous/half.txt") == "half");
    next.settle(true);
  }
  auto record = nlohmann::json::parse(read_file(out / "_runs/r1.json"));
  CHECK(record["status"] == "failed");
  CHECK(record["error"]["type"] == "mdivicom.RunnerKilled");
  CHECK(record["error"]["message"].get<std::string>().find("as it left them") != std::string::npos);
  CHECK_FALSE(record.contains("outputs"));

  // A slot that ended normally leaves no mark: the record of a finished run is never touched.
  write_file(out / "_runs/r3.json", R"({"run_id": "r3", "status": "running"})");
  {
    OutputSlot third(out / "tool", out / "_runs", "r3", true);
    third.settle(false);
  }
  OutputSlot fourth(out / "tool", out / "_runs", "r4", true);
  CHECK(nlohmann::json::parse(read_file(out / "_runs/r3.json"))["status"] == "running");
  fourth.settle(true);
}
