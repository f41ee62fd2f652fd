// --version and the run record name the git commit mdivicom was built from
// (cmake/build_commit.cmake), checked against git itself.

#include <catch2/catch.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

using namespace mdivicom::test;
namespace fs = std::filesystem;

namespace {

// What the build should have recorded: git's short HEAD, "-dirty" with changes to tracked files,
// "unknown" when the source tree is not a git checkout of its own.
std::string expected_commit()
{
  const std::string source = MDIVICOM_SOURCE_DIR;
  CommandResult head = run_command({"git", "-C", source, "rev-parse", "--show-toplevel", "--short", "HEAD"});
  if (head.exit_code != 0 || fs::canonical(head.out.substr(0, head.out.find('\n'))) != fs::canonical(source)) {
    return "unknown";
  }
  std::string commit = head.out.substr(head.out.find('\n') + 1);
  commit.erase(commit.find_last_not_of('\n') + 1);
  CommandResult changes =
      run_command({"git", "--no-optional-locks", "-C", source, "status", "--porcelain", "--untracked-files=no"});
  return commit + (changes.out.empty() ? "" : "-dirty");
}

} // namespace

TEST_CASE("mdivicom --version prints the version and the git commit of the build, and run records carry both",
          "[cli][version]")
{
  const std::string commit = expected_commit();
  CommandResult version = run_mdivicom({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out == std::string("mdivicom ") + MDIVICOM_VERSION + " (commit " + commit + ")\n");

  TempDir dir;
  write_file(dir / "manifests" / "noop.json",
             R"({"meta": {"api_version": "mdivicomtools.plugin.v0.1", "id": "noop", "kind": "python",)"
             R"( "version": "1.0.0", "description": "does nothing"}, "entry": {"callable": "noop_mod:run"}})");
  write_file(dir / "site" / "noop_mod.py", "def run(**kw):\n    pass\n");
  write_file(dir / "dataset" / "a.txt", "a\n");
  CommandOptions options = isolated_options(dir);
  options.env["MDIVICOM_PLUGIN_PATH"] = (dir / "manifests").string();
  options.env["PYTHONPATH"] = (dir / "site").string();
  CommandResult run =
      run_mdivicom({"run", "noop", "--dataset", (dir / "dataset").string(), "--out", (dir / "out").string()}, options);
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  std::vector<fs::path> records;
  for (const auto& entry : fs::directory_iterator(dir / "out" / "_runs")) {
    if (entry.path().extension() == ".json") {
      records.push_back(entry.path());
    }
  }
  REQUIRE(records.size() == 1);
  auto record = nlohmann::json::parse(read_file(records.front()));
  CHECK(record["runner"] == nlohmann::json({{"name", "mdivicom"}, {"version", MDIVICOM_VERSION}, {"commit", commit}}));
}
