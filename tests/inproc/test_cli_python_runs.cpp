// `mdivicom run` of real Python plugins: the status, exit code and run record of every ending.

#include <catch2/catch.hpp>

#include "cli_workspace.hpp"
#include "inproc_support.hpp"
#include "support/builtin_manifests.hpp"
#include "support/process.hpp"
#include "support/record_schema.hpp"

#include <csignal>
#include <fstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

using namespace mdivicom;
using namespace mdivicom::test;
namespace fs = std::filesystem;

namespace {

void check_record(const CliRun& run, const std::string& status, int exit_code)
{
  INFO("stderr: " << run.cli.err << "\nrecord: " << run.record.dump(2));
  CHECK(run.cli.exit_code == exit_code);
  REQUIRE(run.record.is_object());
  CHECK(run.record["status"] == status);
  CHECK(run.record["backend"] == "python");
  CHECK(run.record["python"]["version"] == "3.11.2");
  CHECK(run.record["python"]["callable"] == "cli_mod:run");
  CHECK(run.record["sandbox"]["enforced"] == true);
  mdivicom::test::check_record_schema(run.record);
}

// What the process has read so far (all threads; /proc/<pid>/io rchar), or nullopt.
std::optional<uint64_t> bytes_read(int pid)
{
  std::ifstream io("/proc/" + std::to_string(pid) + "/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "rchar:") {
      return value;
    }
  }
  return std::nullopt;
}

std::string python_config_hash(const std::string& config_text)
{
  CommandOptions options;
  options.input = config_text;
  auto result = run_command({"/usr/bin/python3", "-c",
                             "import hashlib,json,sys; c=json.loads(sys.stdin.read()); "
                             "print(hashlib.sha256(json.dumps(c, sort_keys=True, separators=(',', ':'), "
                             "ensure_ascii=False).encode('utf-8')).hexdigest())"},
                            options);
  return result.out.substr(0, 64);
}

} // namespace

TEST_CASE("mdivicom run of a succeeding Python plugin exits 0 with a complete record", "[inproc][cli]")
{
  CliWorkspace ws(
      "import os\ndef run(dataset_dir, out_dir, config, **kw):\n"
      "    print('processing', dataset_dir)\n    open(os.path.join(out_dir, 'out.txt'), 'w').write('ok')\n");
  CliRun run = ws.run();
  check_record(run, "succeeded", 0);
  CHECK(run.record["exit_code"] == 0);
  CHECK_FALSE(run.record.contains("error"));
  CHECK(read_file(ws.out / "cli-test" / "out.txt") == "ok");
  CHECK(run.cli.out.find("processing " + ws.dataset.string()) != std::string::npos);
  CHECK(run.log.find("processing " + ws.dataset.string()) != std::string::npos);
  CHECK(run.record["python"]["module_file"] == (ws.plugin_root / "cli_mod.py").string());
}

TEST_CASE("mdivicom run records each failing ending of a Python plugin", "[inproc][cli]")
{
  SECTION("an exception: failed, exit 1, the traceback in the record")
  {
    CliWorkspace ws("def run(**kw):\n    raise KeyError('session ses-09')\n");
    CliRun run = ws.run();
    check_record(run, "failed", 1);
    CHECK(run.record["exit_code"] == 1);
    CHECK(run.record["error"]["type"] == "KeyError");
    CHECK(run.record["error"]["traceback"].get<std::string>().find("KeyError: 'session ses-09'") != std::string::npos);
    CHECK(run.log.find("Traceback") != std::string::npos);
  }
  SECTION("sys.exit(3): failed, exit code 3 recorded")
  {
    CliWorkspace ws("import sys\ndef run(**kw):\n    sys.exit(3)\n");
    CliRun run = ws.run();
    check_record(run, "failed", 1);
    CHECK(run.record["exit_code"] == 3);
  }
  SECTION("os._exit(4): failed, exit code 4 recorded")
  {
    CliWorkspace ws("import os\ndef run(**kw):\n    os._exit(4)\n");
    CliRun run = ws.run();
    check_record(run, "failed", 1);
    CHECK(run.record["exit_code"] == 4);
  }
  SECTION("a segfault: crashed, signal 11")
  {
    CliWorkspace ws("import ctypes\ndef run(**kw):\n    ctypes.string_at(0)\n");
    CliRun run = ws.run();
    check_record(run, "crashed", 1);
    CHECK(run.record["signal"] == SIGSEGV);
    CHECK_FALSE(run.record.contains("exit_code"));
  }
  SECTION("past --timeout: timeout")
  {
    CliWorkspace ws("import time\ndef run(**kw):\n    time.sleep(600)\n");
    CliRun run = ws.run({"--timeout", "1"});
    check_record(run, "timeout", 1);
    CHECK(run.record["error"]["type"] == "mdivicom.Timeout");
  }
  SECTION("a write into the dataset: failed, and the dataset unchanged")
  {
    CliWorkspace ws("import os\ndef run(dataset_dir, **kw):\n"
                    "    open(os.path.join(dataset_dir, 'sessions', 'injected.txt'), 'w')\n");
    CliRun run = ws.run();
    check_record(run, "failed", 1);
    CHECK(run.record["error"]["type"] == "OSError"); // EROFS: the sandbox's read-only mounts
    CHECK_FALSE(fs::exists(ws.dataset / "sessions" / "injected.txt"));
  }
  SECTION("a write outside its output dir: failed")
  {
    CliWorkspace ws("import os\ndef run(out_dir, **kw):\n"
                    "    open(os.path.join(os.path.dirname(out_dir), 'escaped.txt'), 'w')\n");
    CliRun run = ws.run();
    check_record(run, "failed", 1);
    CHECK(run.record["error"]["type"] == "OSError"); // EROFS: the sandbox's read-only mounts
    CHECK_FALSE(fs::exists(ws.out / "escaped.txt"));
  }
}

TEST_CASE("Ctrl-C during mdivicom run cancels the Python plugin and exits 130 with a record",
          "[inproc][cli][interrupt]")
{
  CliWorkspace ws("import time\ndef run(**kw):\n    print('started', flush=True)\n    time.sleep(600)\n");
  ws.options.interrupt_after_s = 2;
  CliRun run = ws.run();
  check_record(run, "cancelled", 130);
  CHECK(run.record["error"]["type"] == "mdivicom.Cancelled");
}

TEST_CASE("secrets in the config reach the plugin but not the record or the log", "[inproc][cli][config]")
{
  CliWorkspace ws("import os\ndef run(out_dir, config, **kw):\n"
                  "    print('key is', config['cloud']['api_key'])\n"
                  "    open(os.path.join(out_dir, 'key'), 'w').write(config['cloud']['api_key'])\n");
  std::string config = R"({"cloud": {"api_key": "sk-live-7f3a9b2c"}, "threshold": 2})";
  CliRun run = ws.run({"--config", config, "--quiet"});
  check_record(run, "succeeded", 0);
  CHECK(read_file(ws.out / "cli-test" / "key") == "sk-live-7f3a9b2c");
  CHECK(run.record.dump().find("sk-live-7f3a9b2c") == std::string::npos);
  CHECK(run.log.find("sk-live-7f3a9b2c") == std::string::npos);
  CHECK(run.log.find("key is") != std::string::npos);
  CHECK(run.record["config_hash_sha256"] == python_config_hash(config));
}

TEST_CASE("the plugin gets its config's keys in the order of the text, as json.loads keeps them, and the hash "
          "stays the sorted form",
          "[inproc][cli][config]")
{
  CliWorkspace ws("import json, os\ndef run(out_dir, config, **kw):\n"
                  "    with open(os.path.join(out_dir, 'keys.json'), 'w') as f:\n"
                  "        f.write(json.dumps([list(config), list(config['nested'])]))\n");
  std::string config = R"({"zeta": 1, "alpha": 2, "nested": {"b": 1, "a": 2}, "mid": 3, "alpha": 4})";
  CliRun run = ws.run({"--config", config});
  REQUIRE(run.cli.exit_code == 0);
  CHECK(read_file(ws.out / "cli-test" / "keys.json") == R"([["zeta", "alpha", "nested", "mid"], ["b", "a"]])");
  CHECK(run.record["config_hash_sha256"] == python_config_hash(config));
}

TEST_CASE("unicode, float and big-integer configs arrive intact and hash as Python hashes them",
          "[inproc][cli][config]")
{
  CliWorkspace ws("import json, os\ndef run(out_dir, config, **kw):\n"
                  "    with open(os.path.join(out_dir, 'config.json'), 'w', encoding='utf-8') as f:\n"
                  "        f.write(json.dumps(config, sort_keys=True, ensure_ascii=False))\n");
  std::string config = R"({"name": "Zoë – 東京 🎥", "rate": 29.97, "tiny": 1e-07, "big": 98765432109876543210987654321,)"
                       R"( "exact": 0.1, "list": [1.0, -0.0, 1e16]})";
  CliRun run = ws.run({"--config", config});
  check_record(run, "succeeded", 0);
  CHECK(read_file(ws.out / "cli-test" / "config.json") == python_json_roundtrip(config));
  CHECK(run.record["config_hash_sha256"] == python_config_hash(config));
}

TEST_CASE("a plugin printing at import time does not corrupt plugins list --json", "[inproc][cli][discovery]")
{
  CliWorkspace ws("print('import-time noise')\ndef run(**kw):\n    pass\n");
  auto result = run_mdivicom({"plugins", "list", "--json"}, ws.options);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  auto listing = without_builtin_manifests(nlohmann::json::parse(result.out));
  REQUIRE(listing.size() == 1);
  CHECK(listing[0]["id"] == "cli-test");
  CHECK(result.err.find("import-time noise") != std::string::npos);
}

TEST_CASE("a stale VIRTUAL_ENV is warned about once per run and noted in the record", "[inproc][cli][venv]")
{
  CliWorkspace ws("def run(**kw):\n    pass\n");
  const fs::path stale = ws.root / "deleted-venv";
  ws.options.env["VIRTUAL_ENV"] = stale.string();
  CliRun run = ws.run();
  check_record(run, "succeeded", 0);
  const std::string warning = "ignoring VIRTUAL_ENV: VIRTUAL_ENV " + stale.string();
  size_t first = run.cli.err.find(warning);
  CHECK(first != std::string::npos);
  CHECK(run.cli.err.find(warning, first + 1) == std::string::npos);
  REQUIRE(run.record["python"]["env"]["warnings"].size() == 1);
  CHECK(run.record["python"]["env"]["warnings"][0].get<std::string>().starts_with(warning));
  CHECK(run.record["python"]["env"]["origin"] == "system");
}

TEST_CASE("the worker started before the command line is parsed runs in the interpreter the options pick",
          "[inproc][cli][venv]")
{
  // `mdivicom run ...` starts its Python worker from the environment alone (EarlyPythonWorker);
  // the parsed options have the last word.
  CliWorkspace ws("import sys\ndef run(**kw):\n    print('prefix', sys.prefix)\n");
  const fs::path from_env = ws.root / "env-venv";
  const fs::path from_option = ws.root / "option-venv";
  make_venv(from_env);
  make_venv(from_option);
  ws.options.env["MDIVICOM_PYTHON_ENV"] = from_env.string();

  SECTION("the plain form: the environment's venv")
  {
    CliRun run = ws.run();
    check_record(run, "succeeded", 0);
    CHECK(run.record["python"]["executable"] == (from_env / "bin" / "python3").string());
    CHECK(run.record["python"]["prefix"] == from_env.string());
    CHECK(run.log.find("prefix " + from_env.string()) != std::string::npos);
  }
  SECTION("--python-env wins over the environment")
  {
    CliRun run = ws.run({"--python-env", from_option.string()});
    check_record(run, "succeeded", 0);
    CHECK(run.record["python"]["executable"] == (from_option / "bin" / "python3").string());
    CHECK(run.record["python"]["prefix"] == from_option.string());
    CHECK(run.log.find("prefix " + from_option.string()) != std::string::npos);
  }
  SECTION("a parse error after the early start ends the worker with the command")
  {
    CliRun run = ws.run({"--no-such-option"});
    CHECK(run.cli.exit_code == 2);
    CHECK_FALSE(fs::exists(ws.out / "_runs"));
  }
}

TEST_CASE("a dataset path that is not UTF-8 still ends in a finalized record", "[inproc][cli]")
{
  CliWorkspace ws("import os\ndef run(dataset_dir, out_dir, config, **kw):\n"
                  "    open(os.path.join(out_dir, 'count.txt'), 'w').write(str(len(os.listdir(dataset_dir))))\n");
  ws.dataset = ws.root / "data\xff";
  write_file(ws.dataset / "a.csv", "t\n0\n");
  CliRun run = ws.run();
  check_record(run, "succeeded", 0);
  CHECK(run.record["dataset_dir"] == (ws.root / "data").string() + "\xef\xbf\xbd"); // U+FFFD in the record
  CHECK(read_file(ws.out / "cli-test" / "count.txt") == "1");                       // the plugin got the real path
  CHECK(fs::exists(ws.out / "cli-test" / "provenance.json"));
}

TEST_CASE("a run started with SIGCHLD ignored still records the plugin's real exit", "[inproc][cli]")
{
  // An ignored SIGCHLD survives exec and would make the kernel discard the worker's status.
  CliWorkspace ws("import sys\ndef run(**kw):\n    sys.exit(3)\n");
  auto result = run_command({"/bin/sh", "-c", "trap '' CHLD; exec \"$0\" \"$@\"", MDIVICOM_BINARY, "run", "cli-test",
                             "--dataset", ws.dataset.string(), "--out", ws.out.string()},
                            ws.options);
  CliRun run{result, nlohmann::json(), ""};
  for (const auto& item : fs::directory_iterator(ws.out / "_runs")) {
    if (item.path().extension() == ".json") {
      run.record = nlohmann::json::parse(read_file(item.path()));
    }
  }
  check_record(run, "failed", 1);
  CHECK(run.record["exit_code"] == 3);
}

TEST_CASE("a closed terminal (SIGHUP) cancels the run like Ctrl-C, with a record and its outputs' inventory",
          "[inproc][cli][interrupt]")
{
  CliWorkspace ws("import os, time\ndef run(dataset_dir, out_dir, config, **kw):\n"
                  "    open(os.path.join(out_dir, 'partial.txt'), 'w').write('so far')\n"
                  "    print('started', flush=True)\n    time.sleep(600)\n");
  ws.options.interrupt_after_s = 2;
  ws.options.interrupt_signal = SIGHUP;
  CliRun run = ws.run();
  check_record(run, "cancelled", 130);
  // The signal that cancelled the run does not also stop the inventory of what it wrote.
  REQUIRE(run.record.contains("outputs"));
  CHECK(run.record["outputs"]["file_count"].get<int>() >= 1);
}

TEST_CASE("a second run into the same plugin output directory waits its turn: it is refused", "[inproc][cli]")
{
  CliWorkspace ws("def run(**kw):\n    pass\n");
  fs::create_directories(ws.out / "_runs");
  // What a run in progress holds from before it parks earlier outputs until it has settled them.
  int lock = open((ws.out / "_runs" / ".cli-test.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(lock >= 0);
  REQUIRE(flock(lock, LOCK_EX) == 0);
  CliRun refused = ws.run({"--overwrite"});
  CHECK(refused.cli.exit_code == 2);
  CHECK_THAT(refused.cli.err, Catch::Contains("another mdivicom run is writing " + (ws.out / "cli-test").string()));
  close(lock);
  CliRun run = ws.run({"--overwrite"});
  check_record(run, "succeeded", 0);
}

TEST_CASE("earlier outputs come back when a re-run stops with an error after parking them", "[inproc][cli]")
{
  CliWorkspace ws("import os\ndef run(dataset_dir, out_dir, config, **kw):\n"
                  "    open(os.path.join(out_dir, 'result.txt'), 'w').write('first')\n");
  check_record(ws.run(), "succeeded", 0);
  // The record's reserve cannot be made where a directory stands: the run stops right after
  // the earlier outputs were parked (a changed config makes it out of date, so it gets there).
  fs::remove(ws.out / "_runs" / ".cli-test.reserve");
  fs::create_directories(ws.out / "_runs" / ".cli-test.reserve");
  auto result = run_mdivicom({"run", "cli-test", "--dataset", ws.dataset.string(), "--out", ws.out.string(),
                              "--overwrite", "--config", R"({"changed": true})"},
                             ws.options);
  INFO(result.err);
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("cannot reserve"));
  CHECK(read_file(ws.out / "cli-test" / "result.txt") == "first");
  for (const auto& entry : fs::directory_iterator(ws.out / "_runs")) {
    CHECK_FALSE(entry.path().extension() == ".previous"); // parked, then given back
  }
}

TEST_CASE("SIGTERM while a succeeded run's outputs are inventoried exits 130, and the record says so",
          "[inproc][cli][interrupt]")
{
  // On tmpfs the holes of sparse files are read without the disk or the page cache.
  const bool shm = fs::is_directory("/dev/shm") && access("/dev/shm", W_OK) == 0;
  ScopedEnv in_memory(shm ? EnvValues{{"TMPDIR", "/dev/shm"}} : EnvValues{});
  // 8 GiB of sparse files: seconds of hashing, nothing written.
  CliWorkspace ws("import os\ndef run(out_dir, **kw):\n"
                  "    for i in range(8):\n"
                  "        with open(os.path.join(out_dir, 'big%d.bin' % i), 'wb') as f:\n"
                  "            f.seek((1 << 30) - 1)\n"
                  "            f.write(b'\\0')\n"
                  "    print('plugin returns', flush=True)\n");
  // Signalled once mdivicom itself has read 64 MiB after the plugin said it returns: only the
  // inventory reads that much, so the plugin has succeeded and the hashing is under way.
  std::optional<uint64_t> read_at_return;
  ws.options.interrupt_signal = SIGTERM;
  ws.options.interrupt_when = [&](int pid, const CommandResult& so_far) {
    std::optional<uint64_t> read = bytes_read(pid);
    if (!read || so_far.out.find("plugin returns") == std::string::npos) {
      return false;
    }
    if (!read_at_return) {
      read_at_return = read;
    }
    return *read - *read_at_return >= (uint64_t{64} << 20);
  };
  CliRun run = ws.run();
  REQUIRE(read_at_return); // else the run ended before the plugin said it returns
  check_record(run, "succeeded", 130);
  CHECK(run.record["exit_code"] == 0);
  CHECK(run.record["interrupted"] == nlohmann::json({{"during", "inventory"}}));
  CHECK_FALSE(run.record.contains("outputs"));
  REQUIRE(run.record["warnings"].is_array());
  CHECK_THAT(run.record["warnings"].dump(), Catch::Contains("outputs not inventoried: interrupted while hashing"));
  CHECK_THAT(run.cli.err, Catch::Contains("the record has no inventory"));
  // The plugin succeeded: its outputs stay.
  CHECK(fs::file_size(ws.out / "cli-test" / "big7.bin") == (uint64_t{1} << 30));
}
