#include <catch2/catch.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

using mdivicom::test::CommandOptions;
using mdivicom::test::CommandResult;
using mdivicom::test::read_file;
using mdivicom::test::run_mdivicom;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;

namespace fs = std::filesystem;

namespace {

// A workspace with one Python plugin manifest ("checker", config_schema: threshold <= 5) and a
// small dataset. Planning errors must be found before any lane runs.
struct Workspace
{
  TempDir root;
  fs::path dataset = root / "dataset";
  fs::path out = root / "out";
  CommandOptions options;

  Workspace()
  {
    nlohmann::json meta = {
        {"api_version", "mdivicomtools.plugin.v0.1"},
        {"id", "checker"},
        {"kind", "python"},
        {"version", "1.0.0"},
        {"description", "checks"},
        {"config_schema", {{"type", "object"}, {"properties", {{"threshold", {{"type", "number"}, {"maximum", 5}}}}}}}};
    write_file(root / "manifests" / "checker.json",
               nlohmann::json({{"meta", meta}, {"entry", {{"callable", "checker_mod:run"}}}}).dump());
    write_file(dataset / "sessions" / "ses-01" / "raw" / "gaze" / "g.csv", "t,x\n0,1\n");
    options.env = {{"MDIVICOM_PLUGIN_PATH", (root / "manifests").string()},
                   {"XDG_DATA_HOME", (root / "xdg").string()},
                   {"XDG_CACHE_HOME", (root / "cache").string()},
                   {"MDIVICOM_DEV_PLUGIN_ROOTS", mdivicom::test::k_unset}};
  }

  CommandResult run(std::vector<std::string> extra) const
  {
    std::vector<std::string> args = {"run", "checker"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_mdivicom(args, options);
  }
};

void check_usage_error(const CommandResult& result, const std::string& fragment)
{
  INFO(result.err);
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("mdivicom: error: "));
  CHECK_THAT(result.err, Catch::Contains(fragment));
}

} // namespace

TEST_CASE("run refuses a missing dataset or a dataset that is a file", "[cli][run]")
{
  Workspace ws;
  check_usage_error(ws.run({"--dataset", (ws.root / "nope").string(), "--out", ws.out.string()}), "does not exist");
  write_file(ws.root / "file.txt", "x");
  check_usage_error(ws.run({"--dataset", (ws.root / "file.txt").string(), "--out", ws.out.string()}),
                    "is not a directory");
  CHECK_FALSE(fs::exists(ws.out));
}

TEST_CASE("run refuses an output directory inside the dataset or containing it", "[cli][run]")
{
  Workspace ws;
  check_usage_error(ws.run({"--dataset", ws.dataset.string(), "--out", (ws.dataset / "out").string()}),
                    "lies inside the dataset");
  check_usage_error(ws.run({"--dataset", ws.dataset.string(), "--out", ws.root.path().string()}),
                    "contains the dataset");
  // The same through a symlink to the dataset.
  fs::create_directory_symlink(ws.dataset, ws.root / "link");
  check_usage_error(ws.run({"--dataset", (ws.root / "link").string(), "--out", (ws.dataset / "o").string()}),
                    "lies inside the dataset");
  CHECK_FALSE(fs::exists(ws.dataset / "out"));
  CHECK_FALSE(fs::exists(ws.dataset / "o"));
}

TEST_CASE("run refuses a work dir that overlaps the dataset or holds the run records", "[cli][run]")
{
  Workspace ws;
  auto with_work = [&](const fs::path& work) {
    return ws.run({"--dataset", ws.dataset.string(), "--out", ws.out.string(), "--work", work.string()});
  };
  check_usage_error(with_work(ws.dataset / "work"), "lies inside the dataset");
  // The plugin may write anywhere in its work dir: these would hand it the dataset or the records.
  check_usage_error(with_work(ws.root.path()), "contains the dataset");
  const fs::path work = ws.root / "w";
  check_usage_error(
      ws.run({"--dataset", ws.dataset.string(), "--out", (work / "out").string(), "--work", work.string()}),
      "contains --out");
  check_usage_error(with_work(ws.out / "_runs" / "w"), "where the run records are");
  check_usage_error(with_work(ws.out / "checker" / "w"), "inside the plugin's output directory");
  CHECK_FALSE(fs::exists(ws.dataset / "work"));
  CHECK_FALSE(fs::exists(ws.out / "_runs" / "w"));
}

TEST_CASE("run refuses a timeout that is not a positive number of seconds a clock can hold", "[cli][run]")
{
  Workspace ws;
  for (const char* timeout : {"0", "-3", "nan", "inf", "1e10"}) {
    INFO("--timeout " << timeout);
    check_usage_error(ws.run({"--dataset", ws.dataset.string(), "--out", ws.out.string(), "--timeout", timeout}),
                      "--timeout must be a positive number of seconds");
  }
  CHECK_FALSE(fs::exists(ws.out));
}

TEST_CASE("run refuses malformed config text and unreadable config files", "[cli][run]")
{
  Workspace ws;
  auto base = std::vector<std::string>{"--dataset", ws.dataset.string(), "--out", ws.out.string()};
  auto with = [&](const std::string& config) {
    auto args = base;
    args.insert(args.end(), {"--config", config});
    return ws.run(args);
  };
  check_usage_error(with("{\"threshold\": "), "config");
  check_usage_error(with("[1, 2]"), "object");
  write_file(ws.root / "bad.json", "{oops}");
  check_usage_error(with((ws.root / "bad.json").string()), (ws.root / "bad.json").string());
  CHECK_FALSE(fs::exists(ws.out / "_runs"));
}

TEST_CASE("run refuses a config that breaks the plugin's config_schema, naming key and rule", "[cli][run]")
{
  Workspace ws;
  auto result = ws.run({"--dataset", ws.dataset.string(), "--out", ws.out.string(), "--config", "{\"threshold\": 7}"});
  check_usage_error(result, "checker");
  CHECK_THAT(result.err, Catch::Contains("/threshold"));
  CHECK_THAT(result.err, Catch::Contains("maximum"));
  CHECK_FALSE(fs::exists(ws.out / "_runs"));
}

TEST_CASE("run refuses a backend that does not fit the plugin's kind", "[cli][run]")
{
  Workspace ws;
  check_usage_error(ws.run({"--dataset", ws.dataset.string(), "--out", ws.out.string(), "--backend", "docker"}),
                    "python plugin");
  check_usage_error(ws.run({"--dataset", ws.dataset.string(), "--out", ws.out.string(), "--backend", "wasm"}),
                    "backend");
}

TEST_CASE("run refuses to touch earlier outputs without --overwrite", "[cli][run]")
{
  Workspace ws;
  write_file(ws.out / "checker" / "result.csv", "precious");
  auto result = ws.run({"--dataset", ws.dataset.string(), "--out", ws.out.string()});
  INFO(result.err);
  CHECK(result.exit_code == 3); // out of date: files no run record describes
  CHECK_THAT(result.err, Catch::Contains("holds files that no run record describes. Pass --overwrite"));
  CHECK(read_file(ws.out / "checker" / "result.csv") == "precious");
}

TEST_CASE("run of an unknown plugin says not found", "[cli][run]")
{
  Workspace ws;
  auto result = run_mdivicom({"run", "nope", "--dataset", ws.dataset.string(), "--out", ws.out.string()}, ws.options);
  check_usage_error(result, "Plugin not found: nope");
}

TEST_CASE("run --plan prints the plan and changes nothing on disk", "[cli][run]")
{
  Workspace ws;
  auto result = ws.run({"--dataset", ws.dataset.string(), "--out", ws.out.string(), "--plan", "--config",
                        "{\"threshold\": 2, \"api_key\": \"sk-123456\"}"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  auto plan = nlohmann::json::parse(result.out);
  CHECK(plan["plugin"] == "checker");
  CHECK(plan["plugin_out_dir"] == (ws.out / "checker").string());
  CHECK(plan["config"]["api_key"] == "***REDACTED***");
  CHECK_THAT(result.out, !Catch::Contains("sk-123456")); // nor in the lane's part of the plan
  CHECK(plan["config_hash_sha256"].get<std::string>().size() == 64);
  CHECK_FALSE(fs::exists(ws.out));
}

TEST_CASE("an installed mdivicom without its modules says which one is missing and how to fix it", "[cli][run]")
{
  Workspace workspace;
  // A copy outside the build tree behaves as an installed binary: modules only from
  // <prefix>/lib/mdivicom or MDIVICOM_MODULE_DIR.
  fs::path binary = workspace.root / "prefix" / "bin" / "mdivicom";
  fs::create_directories(binary.parent_path());
  fs::copy_file(MDIVICOM_BINARY, binary);
  std::vector<std::string> argv = {
      binary.string(), "run", "checker", "--dataset", workspace.dataset.string(), "--out", workspace.out.string()};
  CommandResult missing = mdivicom::test::run_command(argv, workspace.options);
  INFO(missing.err);
  CHECK(missing.exit_code == 4); // the runner cannot start its worker: not the plugin's failure
  // SHA-256 is compiled in (MDIVICOM_STATIC_LIBCRYPTO); the first part a run misses is the worker.
  CHECK(missing.err.find("cannot load mdivicom's python-worker: mdivicom-python-worker not found") !=
        std::string::npos);
  CHECK(missing.err.find("MDIVICOM_MODULE_DIR") != std::string::npos);

  // Listing needs no module at all.
  CommandResult listing = mdivicom::test::run_command({binary.string(), "plugins", "list"}, workspace.options);
  CHECK(listing.exit_code == 0);
  CHECK(listing.out.find("checker") != std::string::npos);

  // An installed Python plugin needs the worker program to register: without it the plugin is
  // listed as an error naming the program and the fix, and the rest still lists.
  fs::path site = workspace.root / "site";
  write_file(site / "reg_plugin-1.0.dist-info" / "METADATA", "Metadata-Version: 2.1\nName: reg_plugin\nVersion: 1.0\n");
  write_file(site / "reg_plugin-1.0.dist-info" / "entry_points.txt",
             "[mdivicomtools.plugins]\nregistered = reg_plugin:get_plugin\n");
  write_file(site / "reg_plugin.py", "def get_plugin():\n    return {}\n");
  CommandOptions with_site = workspace.options;
  with_site.env["PYTHONPATH"] = site.string();
  CommandResult no_worker = mdivicom::test::run_command({binary.string(), "plugins", "list"}, with_site);
  INFO(no_worker.err);
  CHECK(no_worker.exit_code == 0);
  CHECK(no_worker.out.find("checker\tpython") != std::string::npos);
  CHECK(no_worker.out.find("registered\terror") != std::string::npos);
  CHECK(no_worker.err.find("mdivicom-python-worker not found") != std::string::npos);

  workspace.options.env["MDIVICOM_MODULE_DIR"] = (fs::path(MDIVICOM_BINARY).parent_path() / "modules").string();
  CommandResult planned =
      mdivicom::test::run_command({binary.string(), "run", "checker", "--dataset", workspace.dataset.string(), "--out",
                                   workspace.out.string(), "--plan"},
                                  workspace.options);
  INFO(planned.err);
  CHECK(planned.exit_code == 0);
}

TEST_CASE("the Python worker program refuses to run by hand or without its parent", "[cli][run]")
{
  const std::string worker = (fs::path(MDIVICOM_BINARY).parent_path() / "modules" / "mdivicom-python-worker").string();
  CommandResult by_hand = mdivicom::test::run_command({worker});
  CHECK(by_hand.exit_code == 64);
  CHECK(by_hand.err.find("started by mdivicom, not by hand") != std::string::npos);
  // Started with a parent pid that is not its parent's (that parent died): it ends at once.
  CommandResult orphan = mdivicom::test::run_command({worker, "1", "/usr/bin/python3", "probe", "buffered"});
  CHECK(orphan.exit_code == 127);
}

TEST_CASE("a re-run with --overwrite replaces earlier outputs only when it succeeds, and the record says which",
          "[cli][run]")
{
  Workspace ws;
  write_file(ws.root / "site" / "checker_mod.py",
             "import os\n"
             "def run(dataset_dir, out_dir, config, **kw):\n"
             "    name = 'partial.txt' if config.get('fail') else 'result.txt'\n"
             "    open(os.path.join(out_dir, name), 'w').write(str(config.get('n')))\n"
             "    if config.get('fail'):\n"
             "        raise RuntimeError('asked to fail')\n");
  CommandOptions options = ws.options;
  options.env["PYTHONPATH"] = (ws.root / "site").string();
  auto run = [&](const std::string& config) {
    auto result = run_mdivicom({"run", "checker", "--dataset", ws.dataset.string(), "--out", ws.out.string(),
                                "--overwrite", "--config", config},
                               options);
    std::string run_id = result.err.substr(result.err.find("run ") + 4, 25);
    INFO(result.err);
    return std::pair{result.exit_code, nlohmann::json::parse(read_file(ws.out / "_runs" / (run_id + ".json")))};
  };
  REQUIRE(run(R"({"n": 1})").first == 0);

  auto [replaced_code, replaced] = run(R"({"n": 2})");
  CHECK(replaced_code == 0);
  CHECK(replaced["previous_outputs"]["outcome"] == "replaced");
  CHECK_FALSE(fs::exists(replaced["previous_outputs"]["parked_at"].get<std::string>()));
  CHECK(read_file(ws.out / "checker" / "result.txt") == "2");

  auto [restored_code, restored] = run(R"({"n": 3, "fail": true})");
  CHECK(restored_code == 1);
  CHECK(restored["previous_outputs"]["outcome"] == "restored");
  CHECK(read_file(ws.out / "checker" / "result.txt") == "2");
  const fs::path failed = restored["previous_outputs"]["failed_outputs"].get<std::string>();
  CHECK(read_file(failed / "partial.txt") == "3");
  CHECK(restored["outputs"]["root"].get<std::string>().find("failed-outputs") != std::string::npos);
}
