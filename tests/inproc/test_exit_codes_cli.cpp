// The exit codes of `mdivicom run` a script acts on (README, "Exit codes"), one case each with a
// Python plugin: 0 succeeded, 1 the plugin failed, 2 usage, 4 the runner or the infrastructure
// failed, 130 interrupted. 3 (out of date) is in test_up_to_date_cli.cpp; the container lane's 4s
// (no engine, no image, no GPU runtime) in tests/container/test_resources.cpp.

#include <catch2/catch.hpp>

#include "cli_workspace.hpp"
#include "support/record_schema.hpp"

using namespace mdivicom::test;
namespace fs = std::filesystem;

namespace {

const char* k_plugin = R"(
import os, time
def run(dataset_dir, out_dir, config, **kwargs):
    if config.get('fail'):
        raise ValueError('the plugin failed')
    if config.get('exit'):
        os._exit(config['exit'])
    if config.get('sleep'):
        print('sleeping', flush=True)
        time.sleep(config['sleep'])
)";

// A worker program that cannot start (a broken install), found first through MDIVICOM_MODULE_DIR,
// and the workspace's plugin as "cli-manifest" from an entry manifest: found without a worker
// (a dev root's get_plugin() needs one, and a plugin that cannot be loaded is a usage error).
void broken_worker(CliWorkspace& ws)
{
  const fs::path dir = ws.root / "modules";
  write_file(dir / "mdivicom-python-worker", "#!/bin/sh\necho 'worker: cannot start' >&2\nexit 1\n");
  fs::permissions(dir / "mdivicom-python-worker", fs::perms::owner_all);
  ws.options.env["MDIVICOM_MODULE_DIR"] = dir.string();
  const nlohmann::json manifest = {
      {"meta",
       {{"api_version", "mdivicomtools.plugin.v0.1"},
        {"id", "cli-manifest"},
        {"kind", "python"},
        {"version", "1.0.0"},
        {"description", "exit code test"}}},
      {"entry", {{"callable", "cli_mod:run"}, {"python_path", {ws.plugin_root.string()}}}},
  };
  write_file(ws.root / "manifests" / "cli-manifest.json", manifest.dump());
  ws.options.env["MDIVICOM_PLUGIN_PATH"] = (ws.root / "manifests").string();
}

} // namespace

TEST_CASE("run exits 0 when the plugin succeeds, 1 when it fails, with its own exit code in the record",
          "[inproc][cli][exit]")
{
  CliWorkspace ws(k_plugin);
  CliRun ok = ws.run();
  INFO(ok.cli.err);
  CHECK(ok.cli.exit_code == 0);
  CHECK(ok.record["status"] == "succeeded");

  CliRun raised = ws.run({"--config", R"({"fail": true})", "--overwrite"});
  CHECK(raised.cli.exit_code == 1);

  CliWorkspace exits(k_plugin);
  CliRun exited = exits.run({"--config", R"({"exit": 7})"});
  CHECK(exited.cli.exit_code == 1);
  CHECK(exited.record["status"] == "failed");
  CHECK(exited.record["exit_code"] == 7); // the plugin's own code stays in the record
  CHECK(exited.record["error"]["type"] == "mdivicom.ProcessExit");
}

TEST_CASE("run exits 2 for a usage error, before anything is written", "[inproc][cli][exit]")
{
  CliWorkspace ws(k_plugin);
  CHECK(ws.run({"--no-such-option"}).cli.exit_code == 2);
  CHECK(run_mdivicom({"run", "cli-test", "--dataset", (ws.root / "missing").string(), "--out", ws.out.string()},
                     ws.options)
            .exit_code == 2);
  CHECK_FALSE(fs::exists(ws.out / "_runs"));
}

TEST_CASE("run exits 4 when the Python worker cannot start, with a record saying mdivicom.StartError",
          "[inproc][cli][exit]")
{
  CliWorkspace ws(k_plugin);
  broken_worker(ws);
  CommandResult result =
      run_mdivicom({"run", "cli-manifest", "--dataset", ws.dataset.string(), "--out", ws.out.string()}, ws.options);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 4);
  CHECK_THAT(result.err, Catch::Contains("the embedded Python did not start"));
  nlohmann::json record;
  for (const auto& item : fs::directory_iterator(ws.out / "_runs")) {
    if (item.path().extension() == ".json") {
      record = nlohmann::json::parse(read_file(item.path()));
    }
  }
  check_record_schema(record);
  CHECK(record["status"] == "failed");
  CHECK(record["error"]["type"] == "mdivicom.StartError");
}

TEST_CASE("run exits 2 for a --python-env whose interpreter is gone: bad input, checked before the run",
          "[inproc][cli][exit]")
{
  CliWorkspace ws(k_plugin);
  const fs::path venv = ws.root / "venv";
  write_file(venv / "pyvenv.cfg", "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n");
  fs::create_directories(venv / "bin");
  fs::create_symlink(venv / "gone" / "python3", venv / "bin" / "python3");
  CliRun run = ws.run({"--python-env", venv.string()});
  CHECK(run.cli.exit_code == 2);
  CHECK_THAT(run.cli.err, Catch::Contains(venv.string() + ": has no bin/python3"));
  CHECK_FALSE(fs::exists(ws.out / "_runs"));
}

TEST_CASE("run exits 130 when interrupted, the record saying cancelled", "[inproc][cli][exit]")
{
  CliWorkspace ws(k_plugin);
  ws.options.interrupt_after_s = 3;
  CliRun run = ws.run({"--config", R"({"sleep": 60})"});
  INFO(run.cli.err);
  CHECK(run.cli.exit_code == 130);
  CHECK(run.record["status"] == "cancelled");
}

TEST_CASE("a batch whose items failed only for the infrastructure exits 4, one with a failed plugin 1",
          "[inproc][cli][exit][batch]")
{
  CliWorkspace ws(k_plugin);
  for (const char* name : {"ses-01", "ses-02"}) {
    write_file(ws.root / "study" / name / "raw.csv", "t\n0\n");
  }
  const std::string datasets = (ws.root / "study" / "*").string();
  CommandResult failed = run_mdivicom({"batch", "cli-test", "--out", (ws.root / "failed").string(), "--dataset",
                                       datasets, "--config", R"({"fail": true})", "-j", "1"},
                                      ws.options);
  INFO(failed.out << failed.err);
  CHECK(failed.exit_code == 1);

  broken_worker(ws);
  CommandResult infra = run_mdivicom(
      {"batch", "cli-manifest", "--out", (ws.root / "infra").string(), "--dataset", datasets, "-j", "1"}, ws.options);
  INFO(infra.out << infra.err);
  CHECK(infra.exit_code == 4);
  for (const auto& file : fs::directory_iterator(ws.root / "infra" / "_batches")) {
    if (file.path().extension() == ".json") {
      const nlohmann::json record = nlohmann::json::parse(read_file(file.path()));
      CHECK(record["status"] == "failed");
      for (const auto& item : record["items"]) {
        CHECK(item["exit_code"] == 4); // each item's own code
      }
    }
  }
}
