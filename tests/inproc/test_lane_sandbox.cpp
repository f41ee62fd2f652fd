#include <catch2/catch.hpp>

#include "inproc_support.hpp"
#include "lanes/inproc/inproc.hpp"
#include "lanes/inproc/sandbox/landlock.hpp"

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <optional>
#include <sstream>

using namespace mdivicom;
using namespace mdivicom::test;
namespace fs = std::filesystem;

namespace {

size_t count_files(const fs::path& dir)
{
  size_t count = 0;
  for (const auto& item : fs::recursive_directory_iterator(dir)) {
    count += item.is_regular_file() ? 1 : 0;
  }
  return count;
}

} // namespace

TEST_CASE("a plugin writing into the dataset is denied by each layer and the dataset is untouched", "[inproc][sandbox]")
{
  PythonSandbox sandbox;
  LaneRun run(R"(
import os
def run(dataset_dir, out_dir, config, **kwargs):
    open(os.path.join(dataset_dir, "data", "readme.txt"), "a").write("tampered\n")
)");
  SECTION("the read-only mounts")
  {
    CapturingSink sink;
    RunOutcome outcome = execute(run.request, sink);
    CHECK(to_string(outcome.status) == "failed");
    CHECK(outcome.error["type"] == "OSError");
    CHECK_THAT(outcome.error["message"].get<std::string>(), Catch::Contains("Read-only file system"));
  }
  SECTION("Landlock alone, when the namespaces are turned off")
  {
    ScopedEnv off(EnvValues{{"MDIVICOM_SANDBOX", "off"}});
    CapturingSink sink;
    RunOutcome outcome = execute(run.request, sink);
    CHECK(to_string(outcome.status) == "failed");
    CHECK(outcome.error["type"] == "PermissionError");
    CHECK(outcome.facts["sandbox"]["mounts"]["opted_out"] == true);
  }
  CHECK(read_file(run.dataset / "data" / "readme.txt") == "original\n");
  CHECK(count_files(run.dataset) == 1);
}

TEST_CASE("a plugin cannot create, delete or rename anything in the dataset", "[inproc][sandbox]")
{
  PythonSandbox sandbox;
  LaneRun run(R"(
import os, shutil
def run(dataset_dir, out_dir, config, **kwargs):
    denied = []
    attempts = {
        "create": lambda: open(os.path.join(dataset_dir, "new.txt"), "w"),
        "mkdir": lambda: os.mkdir(os.path.join(dataset_dir, "newdir")),
        "unlink": lambda: os.unlink(os.path.join(dataset_dir, "data", "readme.txt")),
        "rename": lambda: os.rename(os.path.join(dataset_dir, "data", "readme.txt"), os.path.join(dataset_dir, "x.txt")),
        "move_out": lambda: shutil.move(os.path.join(dataset_dir, "data", "readme.txt"), out_dir),
        "truncate": lambda: os.truncate(os.path.join(dataset_dir, "data", "readme.txt"), 0),
        "symlink": lambda: os.symlink("/etc/passwd", os.path.join(dataset_dir, "link")),
    }
    for name, attempt in attempts.items():
        try:
            attempt()
        except OSError:
            denied.append(name)
    print(",".join(denied))
)");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "succeeded");
  CHECK(sink.out_text == "create,mkdir,unlink,rename,move_out,truncate,symlink\n");
  CHECK(read_file(run.dataset / "data" / "readme.txt") == "original\n");
  CHECK(count_files(run.dataset) == 1);
}

TEST_CASE("a plugin writing outside its output, work and temp dirs is denied", "[inproc][sandbox]")
{
  PythonSandbox sandbox;
  LaneRun run(R"(
import os, tempfile
def run(dataset_dir, out_dir, config, *, work_dir=None, dry_run=False):
    # allowed: its out dir, the work dir, the private temp dir
    open(os.path.join(out_dir, "ok.txt"), "w").write("out")
    os.makedirs(os.path.join(out_dir, "dataset", "sessions"))
    open(os.path.join(work_dir, "ok.txt"), "w").write("work")
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(b"tmp")
    print(tempfile.gettempdir())
    open("/dev/null", "w").write("discarded")
    # denied: a sibling output dir of another plugin, the out root itself
    sibling = os.path.join(os.path.dirname(out_dir), "other-plugin")
    open(os.path.join(sibling, "stolen.txt"), "w").write("nope")
)");
  fs::create_directories(run.out_root / "other-plugin");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "failed");
  CHECK(outcome.error["type"] == "OSError");
  CHECK(outcome.error["message"].get<std::string>().find("other-plugin") != std::string::npos);
  CHECK(sink.out_text == run.request.tmp_dir.string() + "\n");
  CHECK(read_file(run.request.plugin_out_dir / "ok.txt") == "out");
  CHECK(read_file(run.request.work_dir / "ok.txt") == "work");
  CHECK(count_files(run.request.tmp_dir) == 1);
  CHECK_FALSE(fs::exists(run.out_root / "other-plugin" / "stolen.txt"));
  const auto& facts = outcome.facts["sandbox"];
  CHECK(facts["writable_dirs"] ==
        nlohmann::json::array({run.request.plugin_out_dir.string(), run.request.work_dir.string(),
                               run.request.tmp_dir.string(), "/dev/shm"}));
}

TEST_CASE("multiprocessing pools and locks work inside the sandbox", "[inproc][sandbox]")
{
  // Their POSIX semaphores live in /dev/shm, the one place outside the run's dirs a plugin may
  // write to; the dataset stays read-only.
  PythonSandbox sandbox;
  LaneRun run(R"(
import multiprocessing, os
def square(x):
    return x * x
def run(dataset_dir, out_dir, config, **kwargs):
    with multiprocessing.Pool(2) as pool:
        squares = pool.map(square, range(6))
    lock = multiprocessing.Lock()
    with lock:
        open(os.path.join(out_dir, "squares.txt"), "w").write(repr(squares))
    try:
        open(os.path.join(dataset_dir, "data", "readme.txt"), "a").write("tampered")
    except OSError:
        print("dataset denied")
)");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  INFO(sink.err_text);
  CHECK(to_string(outcome.status) == "succeeded");
  CHECK(read_file(run.request.plugin_out_dir / "squares.txt") == "[0, 1, 4, 9, 16, 25]");
  CHECK(sink.out_text == "dataset denied\n");
  CHECK(read_file(run.dataset / "data" / "readme.txt") == "original\n");
}

TEST_CASE("a dataset in /dev/shm keeps /dev/shm read-only and the record says why", "[inproc][sandbox]")
{
  PythonSandbox sandbox;
  LaneRun run(R"(
import os
def run(dataset_dir, out_dir, config, **kwargs):
    open(os.path.join(dataset_dir, "data", "readme.txt"), "a").write("tampered")
)");
  std::optional<TempDir> in_memory;
  {
    ScopedEnv shm(EnvValues{{"TMPDIR", "/dev/shm"}});
    in_memory.emplace();
  }
  REQUIRE(in_memory->path().string().rfind("/dev/shm/", 0) == 0);
  fs::path dataset = *in_memory / "dataset";
  write_file(dataset / "data" / "readme.txt", "original\n");
  run.request.dataset_dir = dataset;
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "failed");
  CHECK(outcome.error["type"] == "OSError");
  CHECK(read_file(dataset / "data" / "readme.txt") == "original\n");
  const auto& facts = outcome.facts["sandbox"];
  CHECK(facts["writable_dirs"].size() == 3);
  CHECK_THAT(facts.value("note", std::string()),
             Catch::Contains("/dev/shm is not writable because " + dataset.string()));
}

TEST_CASE("without Landlock the read-only mounts still hold, and opted out of both, a plugin runs unconfined and the "
          "record says so",
          "[inproc][sandbox]")
{
  PythonSandbox sandbox;
  ScopedEnv off(EnvValues{{"MDIVICOM_LANDLOCK", "off"}});
  LaneRun run(R"(
import os
def run(dataset_dir, out_dir, config, **kwargs):
    open(os.path.join(os.path.dirname(out_dir), "outside.txt"), "w").write("unconfined")
)");
  SECTION("Landlock off")
  {
    CapturingSink sink;
    RunOutcome outcome = execute(run.request, sink);
    CHECK(to_string(outcome.status) == "failed");
    CHECK(outcome.facts["sandbox"]["enforced"] == false);
    CHECK(outcome.facts["sandbox"]["mounts"]["enforced"] == true);
    CHECK_FALSE(fs::exists(run.out_root / "outside.txt"));
  }
  SECTION("Landlock and the namespaces off")
  {
    ScopedEnv no_namespaces(EnvValues{{"MDIVICOM_SANDBOX", "off"}});
    CapturingSink sink;
    RunOutcome outcome = execute(run.request, sink);
    CHECK(to_string(outcome.status) == "succeeded");
    CHECK(outcome.facts["sandbox"]["enforced"] == false);
    CHECK(outcome.facts["sandbox"]["reason"].get<std::string>().find("MDIVICOM_LANDLOCK") != std::string::npos);
    CHECK(outcome.facts["sandbox"]["mounts"]["opted_out"] == true);
    CHECK(read_file(run.out_root / "outside.txt") == "unconfined");
  }
}

TEST_CASE("more than a MiB on both stdout and stderr streams through without deadlock or loss", "[inproc][output]")
{
  PythonSandbox sandbox;
  LaneRun run(R"(
import sys
def run(**kwargs):
    line = "x" * 1023 + "\n"
    for i in range(2048):
        sys.stdout.write(line)
        sys.stderr.write(line.replace("x", "e"))
    sys.stdout.write("y" * (3 << 20))
    sys.stdout.write("\nend\n")
)");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "succeeded");
  CHECK(sink.out_text.size() == 2048 * 1024 + (3u << 20) + 5);
  CHECK(sink.err_text.size() == 2048 * 1024);
  CHECK(sink.out_text.ends_with("y\nend\n"));
}

TEST_CASE("the config reaches the plugin exactly as Python's json module parses it", "[inproc][config]")
{
  PythonSandbox sandbox;
  std::string config_text =
      R"({"big":123456789012345678901234567890123,"cloud":{"api_key":"s3cr3t"},"e":1e-05,"f":0.1,"huge":1e+300,)"
      R"("neg":-0.0,"nested":[1,2.5,{"ü":"ünïcødé ✓ 🎉"}],"third":0.30000000000000004})";
  LaneRun run(R"(
import json, os
def run(dataset_dir, out_dir, config, **kwargs):
    assert isinstance(config["big"], int)
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(config, sort_keys=True, ensure_ascii=False))
)",
              config_text);
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  REQUIRE(to_string(outcome.status) == "succeeded");
  CHECK(read_file(run.request.plugin_out_dir / "config.json") == python_json_roundtrip(config_text));
}

TEST_CASE("describe gives the plan without running the plugin", "[inproc][lane]")
{
  PythonSandbox sandbox;
  LaneRun run("import os\ndef run(out_dir, **kwargs):\n    open(os.path.join(out_dir, 'ran'), 'w')\n",
              R"({"threshold":0.5})");
  nlohmann::json plan = inproc::make_python_lane()->describe(run.request);
  CHECK(plan["backend"] == "python");
  CHECK(plan["python"]["executable"] == "/usr/bin/python3");
  CHECK(plan["python"]["callable"] == "lane_plugin:run");
  CHECK(plan["python"]["sys_path_prepend"] == nlohmann::json::array({run.root.string()}));
  CHECK(plan["python"]["kwargs"]["config"]["threshold"] == 0.5);
  CHECK(plan["python"]["kwargs"]["out_dir"] == run.request.plugin_out_dir.string());
  CHECK(plan["python"]["kwargs"]["dry_run"] == false);
  CHECK(plan["environment"]["TMPDIR"] == run.request.tmp_dir.string());
  CHECK(plan["sandbox"]["writable_dirs"].size() == 4);
  CHECK_FALSE(fs::exists(run.request.plugin_out_dir / "ran"));
}

TEST_CASE("code in the env's .pth files already runs inside the sandbox", "[inproc][sandbox][venv]")
{
  // The worker starts its interpreter while the run is planned, before it knows the run's
  // directories; site-packages (.pth files, sitecustomize) must still wait for the sandbox.
  PythonSandbox sandbox;
  fs::path venv = sandbox / "venv";
  fs::path site = make_venv(venv);
  LaneRun run("import pth_marker\ndef run(**kwargs):\n    print(pth_marker.outcome)\n");
  write_file(site / "tamper.pth",
             "import sys, types; m = types.ModuleType('pth_marker'); sys.modules['pth_marker'] = m; "
             "exec(\"try:\\n open('" +
                 (run.dataset / "data" / "readme.txt").string() +
                 "', 'a').write('tampered')\\n outcome = 'written'\\nexcept OSError:\\n outcome = "
                 "'denied'\", m.__dict__)\n");
  run.request.options["python_env"] = venv.string();
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  INFO(sink.err_text);
  CHECK(to_string(outcome.status) == "succeeded");
  CHECK(sink.out_text == "denied\n");
  CHECK(read_file(run.dataset / "data" / "readme.txt") == "original\n");
}

TEST_CASE("the worker has no controlling terminal and may not ioctl devices", "[inproc][sandbox]")
{
  // Otherwise a plugin could push input into the user's shell (TIOCSTI) or be stopped for
  // reading the terminal in the background.
  PythonSandbox sandbox;
  LaneRun run(R"(
import errno, fcntl, os, termios
def run(dataset_dir, out_dir, config, **kwargs):
    try:
        open("/dev/tty")
        print("terminal opened")
    except OSError as error:
        print("no terminal", errno.errorcode[error.errno])
    with open("/dev/null", "w") as null:
        try:
            fcntl.ioctl(null.fileno(), termios.TIOCGWINSZ, b"\0" * 8)
        except OSError as error:
            print("ioctl", errno.errorcode[error.errno])
)");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  INFO(sink.err_text);
  CHECK(to_string(outcome.status) == "succeeded");
  const bool guarded = inproc::landlock_support().abi >= 5;
  CHECK(sink.out_text == std::string("no terminal ENXIO\nioctl ") + (guarded ? "EACCES" : "ENOTTY") + "\n");
  CHECK(outcome.facts["sandbox"]["devices_guarded"] == guarded);
}

TEST_CASE("PYTHONPATH joins sys.path only once the sandbox is on, where Python puts it", "[inproc][sandbox]")
{
  // The interpreter's start imports `encodings` from sys.path: a package of that name in
  // PYTHONPATH would otherwise run unconfined.
  PythonSandbox sandbox;
  LaneRun run(R"(
import os, sys
import from_pythonpath
def run(dataset_dir, out_dir, config, **kwargs):
    here = os.path.dirname(from_pythonpath.__file__)
    print(from_pythonpath.VALUE, sys.path.index(here) < sys.path.index("/usr/lib/python3.11"))
)");
  const fs::path extra = sandbox / "pythonpath";
  write_file(extra / "encodings" / "__init__.py",
             "open(" + nlohmann::json((run.dataset / "data" / "readme.txt").string()).dump() +
                 ", 'a').write('tampered before the sandbox')\n");
  write_file(extra / "from_pythonpath.py", "VALUE = 42\n");
  ScopedEnv env(EnvValues{{"PYTHONPATH", extra.string()}});
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  INFO(sink.err_text);
  CHECK(to_string(outcome.status) == "succeeded");
  CHECK(sink.out_text == "42 True\n");
  CHECK(read_file(run.dataset / "data" / "readme.txt") == "original\n");
}

TEST_CASE("a writable dir that cannot be opened stays read-only and the sandbox stays on", "[inproc][sandbox]")
{
  PythonSandbox sandbox;
  LaneRun run("def run(**kwargs):\n    print('ran')\n");
  const fs::path loop = run.dir / "loop";
  fs::create_directory_symlink("loop", loop); // ELOOP when the worker opens it
  run.request.work_dir = loop;
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  INFO(sink.err_text);
  CHECK(to_string(outcome.status) == "succeeded");
  CHECK(sink.out_text == "ran\n");
  const auto& facts = outcome.facts["sandbox"];
  CHECK(facts["enforced"] == true);
  REQUIRE(facts["unusable"].size() == 1);
  CHECK(facts["unusable"][0].get<std::string>().find(loop.string()) != std::string::npos);
}

TEST_CASE("processes a plugin leaves running are stopped when its run ends, and counted", "[inproc][lane]")
{
  // One in a session of its own (not in the worker's process group), one a daemon whose parent
  // has exited (an orphan, which comes to the worker as subreaper). Found by their command
  // lines: the pids the plugin sees are its PID namespace's.
  PythonSandbox sandbox;
  const std::string own_session = "60." + std::to_string(getpid());
  const std::string daemon = "61." + std::to_string(getpid());
  LaneRun run(R"(
import os, subprocess
def run(dataset_dir, out_dir, config, **kwargs):
    subprocess.Popen(["sleep", ")" +
              own_session + R"("], start_new_session=True)
    middle = os.fork()
    if middle == 0:
        os.setsid()
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", ")" +
              daemon + R"("])
        os._exit(0)
    os.waitpid(middle, 0)
)");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  INFO(sink.err_text);
  CHECK(to_string(outcome.status) == "succeeded");
  CHECK(processes_running({"sleep", own_session}).empty());
  CHECK(processes_running({"sleep", daemon}).empty());
  CHECK(outcome.facts["python"]["leftover_processes_killed"] == 2);
}
