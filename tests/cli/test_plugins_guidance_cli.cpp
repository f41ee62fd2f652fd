// What `plugins` commands and `run` say when a plugin is missing (where mdivicom looked, what to
// try) and how `plugins validate` reports a manifest's problems (all at once; --json).
#include <catch2/catch.hpp>

#include "support/bare_binary.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

using mdivicom::test::BareBinary;
using mdivicom::test::CommandOptions;
using mdivicom::test::isolated_options;
using mdivicom::test::run_command;
using mdivicom::test::run_mdivicom;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;

namespace fs = std::filesystem;

namespace {

const fs::path k_dev_root = fs::path(MDIVICOM_SOURCE_DIR) / "examples" / "python" / "mdivicom-stream-inventory";

std::string manifest(const std::string& id)
{
  return nlohmann::json({{"meta",
                          {{"api_version", "mdivicomtools.plugin.v0.1"},
                           {"id", id},
                           {"kind", "python"},
                           {"version", "1.0"},
                           {"description", "test"}}},
                         {"entry", {{"callable", "pkg.mod:run"}}}})
      .dump();
}

// The manifest of tests/core/test_manifest_problems.cpp: 5 problems at depths 1 to 3.
const char* k_five_problems = R"({
  "meta": {"api_version": "mdivicomtools.plugin.v0.1", "id": "five", "kind": "container", "version": 3},
  "entry": {"image": "localhost/five:1", "resources": {"cpus": 0, "memory": "5m"}}
})";

} // namespace

TEST_CASE("plugins: a plugin not found says where mdivicom looked, with counts, and what to try", "[cli][plugins]")
{
  TempDir dir;
  write_file(dir / "manifests" / "a.json", manifest("alpha"));
  write_file(dir / "manifests" / "b.json", manifest("beta"));
  CommandOptions options = isolated_options(dir);
  options.env["MDIVICOM_PLUGIN_PATH"] = (dir / "manifests").string() + ":" + (dir / "absent").string();
  options.env["MDIVICOM_DEV_PLUGIN_ROOTS"] = k_dev_root.string();

  auto info = run_mdivicom({"plugins", "info", "alphx"}, options);
  INFO(info.err);
  CHECK(info.exit_code == 2);
  CHECK_THAT(info.err, Catch::Contains("Plugin not found: alphx (did you mean 'alpha'?)"));
  CHECK_THAT(info.err,
             Catch::Contains("looked in:\n  manifest directory " + (dir / "manifests").string() +
                             ": 2 manifest files\n  manifest directory " + (dir / "absent").string() + ": missing\n"));
  CHECK_THAT(info.err,
             Catch::Contains("dev root " + k_dev_root.string() + " (MDIVICOM_DEV_PLUGIN_ROOTS): 1 entry point"));
  CHECK_THAT(info.err, Catch::Contains("entry points (group mdivicomtools.plugins) installed in the system Python "));
  CHECK_THAT(info.err, Catch::Contains("try:\n  'mdivicom plugins list' to see the plugins found"));
  CHECK_THAT(info.err, Catch::Contains("--python-env VENV"));

  // run resolves the same way, before anything is written.
  fs::create_directories(dir / "dataset");
  auto run = run_mdivicom(
      {"run", "nothing-like-it", "--dataset", (dir / "dataset").string(), "--out", (dir / "out").string()}, options);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Catch::Contains("Plugin not found: nothing-like-it\nlooked in:\n  manifest directory "));
  CHECK_THAT(run.err, Catch::Contains("--python-env VENV"));
  CHECK_FALSE(fs::exists(dir / "out"));
}

TEST_CASE("plugins: an empty listing says where mdivicom looked on stderr, stdout unchanged", "[cli][plugins]")
{
  TempDir dir;
  BareBinary bare;
  fs::create_directories(dir / "manifests");
  CommandOptions options = isolated_options(dir);
  options.env["MDIVICOM_PLUGIN_PATH"] = (dir / "manifests").string();
  auto list = run_command({bare.path().string(), "plugins", "list"}, options);
  INFO(list.err);
  CHECK(list.exit_code == 0);
  CHECK(list.out == "(no plugins found)\n");
  CHECK_THAT(list.err, Catch::Contains("mdivicom: warning: no plugins found; looked in:\n  manifest directory " +
                                       (dir / "manifests").string() + ": 0 manifest files\n"));
  CHECK_THAT(list.err, Catch::Contains((bare.path().parent_path().parent_path() / "share/mdivicom/manifests").string() +
                                       ": 0 manifest files"));
  CHECK_THAT(list.err, Catch::Contains("installed in the system Python"));
  CHECK_THAT(list.err, Catch::Contains("--python-env VENV"));

  auto json = run_command({bare.path().string(), "plugins", "list", "--json"}, options);
  CHECK(json.exit_code == 0);
  CHECK(json.out == "[]\n");
  CHECK_THAT(json.err, Catch::Contains("no plugins found; looked in:"));
}

TEST_CASE("plugins validate reports every problem of a manifest in one pass", "[cli][plugins]")
{
  TempDir dir;
  write_file(dir / "five.json", k_five_problems);
  auto result = run_mdivicom({"plugins", "validate", (dir / "five.json").string()}, isolated_options(dir));
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  const std::string file = (dir / "five.json").string();
  for (const char* line : {"/meta: Missing required property 'description'.",
                           "/meta/version: Value type not permitted by 'type' constraint. (got 3)",
                           "/entry: Missing required property 'argv'.", "/entry/resources/cpus: ",
                           "/entry/resources/memory: expected bytes or a size like 512m (at least 6m)"}) {
    CHECK_THAT(result.out, Catch::Contains(file + ": " + line));
  }
  CHECK(std::count(result.out.begin(), result.out.end(), '\n') == 5);
  CHECK_THAT(result.err, Catch::Contains("1 of 1 manifest(s) invalid"));
}

TEST_CASE("plugins validate --json prints one object with every file and its problems", "[cli][plugins]")
{
  TempDir dir;
  write_file(dir / "five.json", k_five_problems);
  write_file(dir / "good.json", manifest("good"));
  write_file(dir / "broken.json", "{ not json");
  auto result = run_mdivicom({"plugins", "validate", "--json", (dir / "five.json").string(),
                              (dir / "good.json").string(), (dir / "broken.json").string()},
                             isolated_options(dir));
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  const auto report = nlohmann::json::parse(result.out);
  CHECK(report["valid"] == false);
  REQUIRE(report["files"].size() == 3);
  CHECK(report["files"][0]["file"] == (dir / "five.json").string());
  CHECK(report["files"][0]["valid"] == false);
  CHECK(report["files"][0]["problems"].size() == 5);
  CHECK(report["files"][0]["problems"][0].contains("pointer"));
  CHECK(report["files"][0]["problems"][0].contains("message"));
  CHECK(report["files"][1]["valid"] == true);
  CHECK(report["files"][1]["problems"] == nlohmann::json::array());
  CHECK(report["files"][2]["problems"][0]["pointer"] == "");
  CHECK_THAT(report["files"][2]["problems"][0]["message"].get<std::string>(), Catch::Contains("malformed JSON"));

  auto good = run_mdivicom({"plugins", "validate", "--json", (dir / "good.json").string()}, isolated_options(dir));
  CHECK(good.exit_code == 0);
  CHECK(nlohmann::json::parse(good.out)["valid"] == true);
}
