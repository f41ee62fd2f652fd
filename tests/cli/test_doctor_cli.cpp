// doctor's verdict: ok when any lane can run a plugin; a missing manifest directory and finding
// no plugin at all are warnings, not failures.
#include <catch2/catch.hpp>

#include "support/bare_binary.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

using mdivicom::test::BareBinary;
using mdivicom::test::CommandOptions;
using mdivicom::test::isolated_options;
using mdivicom::test::run_command;
using mdivicom::test::run_mdivicom;
using mdivicom::test::TempDir;

namespace fs = std::filesystem;

namespace {

// No container engine: doctor's verdict rests on the Python lane alone.
CommandOptions without_engines(const TempDir& dir)
{
  CommandOptions options = isolated_options(dir);
  options.env["DOCKER_HOST"] = "unix://" + (dir / "no-docker.sock").string();
  options.env["CONTAINER_HOST"] = "unix://" + (dir / "no-podman.sock").string();
  return options;
}

std::string engine_arg(const TempDir& dir)
{
  return "--engine=unix://" + (dir / "no-engine.sock").string();
}

} // namespace

TEST_CASE("doctor says ok with a working Python lane and only warns about a missing manifest directory",
          "[cli][doctor]")
{
  TempDir dir;
  CommandOptions options = without_engines(dir); // MDIVICOM_PLUGIN_PATH names a missing directory
  auto text = run_mdivicom({"doctor", engine_arg(dir)}, options);
  INFO(text.out << text.err);
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("  warn   " + (dir / "no-manifests").string() + " (missing"));
  CHECK_THAT(text.out, Catch::Contains("ok: a lane can run plugins here ("));
  CHECK_THAT(text.out, !Catch::Contains("FAIL"));

  auto json = run_mdivicom({"doctor", "--json", engine_arg(dir)}, options);
  REQUIRE(json.exit_code == 0);
  const auto report = nlohmann::json::parse(json.out);
  CHECK(report["ok"] == true);
  CHECK(report["python_lane"]["python"]["ok"] == true);
  CHECK_THAT(report["warnings"].dump(),
             Catch::Contains("manifest directory " + (dir / "no-manifests").string() + " is missing"));
  CHECK(report["plugins"]["found"].get<int>() >= 1); // the build tree's built-in manifest
}

TEST_CASE("doctor warns, without failing, when no plugin is found at all, and says where it looked", "[cli][doctor]")
{
  TempDir dir;
  BareBinary bare;
  fs::create_directories(dir / "no-manifests"); // there, but empty
  auto text = run_command({bare.path().string(), "doctor", engine_arg(dir)}, without_engines(dir));
  INFO(text.out << text.err);
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("plugins:\n  warn   none found; looked in:\n"));
  CHECK_THAT(text.out, Catch::Contains("manifest directory " + (dir / "no-manifests").string() + ": 0 manifest files"));
  CHECK_THAT(text.out, Catch::Contains("try: --python-env VENV"));
  CHECK_THAT(text.out, Catch::Contains("ok: a lane can run plugins here"));

  auto json = run_command({bare.path().string(), "doctor", "--json", engine_arg(dir)}, without_engines(dir));
  REQUIRE(json.exit_code == 0);
  const auto report = nlohmann::json::parse(json.out);
  CHECK(report["ok"] == true);
  CHECK(report["plugins"]["found"] == 0);
  CHECK_THAT(report["warnings"].dump(), Catch::Contains("no plugin found"));
}

TEST_CASE("doctor fails (exit 1) only when no lane can run a plugin", "[cli][doctor]")
{
  TempDir dir;
  auto text =
      run_mdivicom({"doctor", "--python-env", (dir / "no-venv").string(), engine_arg(dir)}, without_engines(dir));
  INFO(text.out << text.err);
  CHECK(text.exit_code == 1);
  CHECK_THAT(text.out, Catch::Contains("FAIL: no lane can run a plugin here; apply a fix above"));
  auto json = run_mdivicom({"doctor", "--json", "--python-env", (dir / "no-venv").string(), engine_arg(dir)},
                           without_engines(dir));
  CHECK(json.exit_code == 1);
  CHECK(nlohmann::json::parse(json.out)["ok"] == false);
}
