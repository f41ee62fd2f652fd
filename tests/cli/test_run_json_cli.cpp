// What scripts read: `run --json` (one object on stdout, the plugin's output on stderr),
// `pack --json`, and -q, which leaves only warnings and errors of mdivicom's own.
#include <catch2/catch.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

using mdivicom::test::CommandOptions;
using mdivicom::test::isolated_options;
using mdivicom::test::read_file;
using mdivicom::test::run_mdivicom;
using mdivicom::test::TempDir;

namespace fs = std::filesystem;

namespace {

const fs::path k_examples = fs::path(MDIVICOM_SOURCE_DIR) / "examples";

// The example Python plugin, which prints "wrote <path> (<n> streams)" to stdout.
CommandOptions with_example_plugin(const TempDir& dir)
{
  CommandOptions options = isolated_options(dir);
  options.env["MDIVICOM_DEV_PLUGIN_ROOTS"] = (k_examples / "python" / "mdivicom-stream-inventory").string();
  return options;
}

std::vector<std::string> run_args(const TempDir& dir, const std::string& out, std::vector<std::string> more)
{
  std::vector<std::string> args = {"run",   "stream-inventory",  "--dataset", (k_examples / "dataset").string(),
                                   "--out", (dir / out).string()};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

} // namespace

TEST_CASE("run --json prints the run id, status, record path and outputs dir as one JSON object on stdout",
          "[cli][run][json]")
{
  TempDir dir;
  auto result = run_mdivicom(run_args(dir, "out", {"--json"}), with_example_plugin(dir));
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  const auto summary = nlohmann::json::parse(result.out); // nothing else on stdout
  CHECK(summary["status"] == "succeeded");
  const std::string run_id = summary["run_id"];
  CHECK(summary["record"] == (dir / "out" / "_runs" / (run_id + ".json")).string());
  CHECK(summary["log"] == (dir / "out" / "_runs" / (run_id + ".log")).string());
  CHECK(summary["outputs"] == (dir / "out" / "stream-inventory").string());
  CHECK(fs::is_directory(summary["outputs"].get<std::string>()));
  const auto record = nlohmann::json::parse(read_file(summary["record"].get<std::string>()));
  CHECK(record["run_id"] == run_id);
  CHECK(record["status"] == "succeeded");
  // The plugin's stdout is shown on stderr instead, and is still in the log.
  CHECK_THAT(result.out, !Catch::Contains("wrote "));
  CHECK_THAT(result.err, Catch::Contains("wrote "));
  CHECK_THAT(read_file(summary["log"].get<std::string>()), Catch::Contains("wrote "));
}

TEST_CASE("quiet: -q silences mdivicom's own info lines and the plugin's output, before or after the command",
          "[cli][run][quiet]")
{
  TempDir dir;
  auto loud = run_mdivicom(run_args(dir, "loud", {}), with_example_plugin(dir));
  REQUIRE(loud.exit_code == 0);
  CHECK_THAT(loud.err, Catch::Contains("mdivicom: info: run "));
  CHECK_THAT(loud.out, Catch::Contains("wrote "));

  auto after = run_mdivicom(run_args(dir, "after", {"-q"}), with_example_plugin(dir));
  std::vector<std::string> before_args = run_args(dir, "before", {});
  before_args.insert(before_args.begin(), "--quiet");
  auto before = run_mdivicom(before_args, with_example_plugin(dir));
  for (const auto* quiet : {&after, &before}) {
    INFO(quiet->out << quiet->err);
    CHECK(quiet->exit_code == 0);
    CHECK(quiet->out.empty());
    CHECK(quiet->err.empty());
  }

  // Warnings stay: a missing dataset is still said, -q or not.
  auto failing = run_mdivicom(
      {"-q", "run", "stream-inventory", "--dataset", (dir / "none").string(), "--out", (dir / "x").string()},
      with_example_plugin(dir));
  CHECK(failing.exit_code == 2);
  CHECK_THAT(failing.err, Catch::Contains("mdivicom: error: "));
}

TEST_CASE("pack --json prints what was packed as one JSON object", "[cli][pack][json]")
{
  TempDir dir;
  REQUIRE(run_mdivicom(run_args(dir, "out", {"-q"}), with_example_plugin(dir)).exit_code == 0);
  auto result = run_mdivicom({"pack", (dir / "out").string(), "-o", (dir / "out.tar.gz").string(), "--json"},
                             isolated_options(dir));
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  const auto summary = nlohmann::json::parse(result.out);
  CHECK(summary["archive"] == (dir / "out.tar.gz").string());
  CHECK(summary["entries"].get<int>() >= 4); // _runs/, its record and log, the outputs
  CHECK(summary["file_bytes"].get<int>() > 0);
  CHECK(summary["hard_links"] == 0);
  CHECK(summary["not_packed"] == nlohmann::json::array());
  CHECK(fs::file_size(dir / "out.tar.gz") > 0);
}
