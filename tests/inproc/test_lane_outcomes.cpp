#include <catch2/catch.hpp>

#include "core/hash/sha256.hpp"
#include "core/run/outcome_error.hpp"
#include "inproc_support.hpp"
#include "support/process.hpp"

#include <csignal>

using namespace mdivicom;
using namespace mdivicom::test;

TEST_CASE("a plugin that returns succeeds and its output, logging and facts are recorded", "[inproc][lane]")
{
  PythonSandbox sandbox;
  LaneRun run(R"(
import logging, os, sys
def run(dataset_dir, out_dir, config, *, work_dir=None, dry_run=False):
    print("hello from the plugin")
    logging.getLogger("lane").info("an info line")
    with open(os.path.join(out_dir, "result.txt"), "w") as f:
        f.write("%s|%s|%s|%s" % (dataset_dir, work_dir, dry_run, sorted(config)))
)");
  run.request.dry_run = true;
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);

  CHECK(to_string(outcome.status) == "succeeded");
  CHECK(outcome.exit_code == 0);
  CHECK_FALSE(outcome.signal);
  CHECK(outcome.error.is_null());
  CHECK(outcome.backend == "python");
  CHECK(sink.out_text == "hello from the plugin\n");
  CHECK(sink.err_text.find("INFO:lane:an info line") != std::string::npos);
  CHECK(read_file(run.request.plugin_out_dir / "result.txt") ==
        run.dataset.string() + "|" + run.request.work_dir.string() + "|True|[]");
  const auto& python = outcome.facts["python"];
  CHECK(python["version"] == "3.11.2");
  CHECK(python["executable"] == "/usr/bin/python3");
  CHECK(python["prefix"] == "/usr");
  CHECK(python["callable"] == "lane_plugin:run");
  CHECK(python["entry_point"] == "lane_plugin:get_plugin");
  CHECK(python["module_file"] == (run.root / "lane_plugin.py").string());
  CHECK(python["sys_path"][0] == run.root.string());
  CHECK(outcome.facts["sandbox"]["enforced"] == true);
  CHECK(outcome.facts["sandbox"]["kind"] == "landlock");
}

TEST_CASE("a plugin that raises fails with exit code 1 and the exception's type, message and traceback",
          "[inproc][lane]")
{
  PythonSandbox sandbox;
  LaneRun run(R"(
class BadInput(Exception):
    pass
def helper():
    raise BadInput("sensor 3 is missing")
def run(dataset_dir, out_dir, config, **kwargs):
    helper()
)");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);

  CHECK(to_string(outcome.status) == "failed");
  CHECK(outcome.exit_code == 1);
  CHECK(outcome.error["type"] == "lane_plugin.BadInput");
  CHECK(outcome.error["message"] == "sensor 3 is missing");
  std::string traceback = outcome.error["traceback"];
  CHECK(traceback.find("in helper") != std::string::npos);
  CHECK(traceback.find("lane_plugin.BadInput: sensor 3 is missing") != std::string::npos);
  CHECK(sink.err_text.find("Traceback (most recent call last)") != std::string::npos);
}

TEST_CASE("a plugin calling sys.exit(3) fails with exit code 3", "[inproc][lane]")
{
  PythonSandbox sandbox;
  LaneRun run("import sys\ndef run(**kwargs):\n    sys.exit(3)\n");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "failed");
  CHECK(outcome.exit_code == 3);
  CHECK(outcome.error["type"] == "SystemExit");
}

TEST_CASE("a plugin calling sys.exit(0) or sys.exit(None) succeeds", "[inproc][lane]")
{
  PythonSandbox sandbox;
  for (const char* code : {"0", "None"}) {
    LaneRun run(std::string("import sys\ndef run(**kwargs):\n    sys.exit(") + code + ")\n");
    CapturingSink sink;
    RunOutcome outcome = execute(run.request, sink);
    CHECK(to_string(outcome.status) == "succeeded");
    CHECK(outcome.exit_code == 0);
  }
}

TEST_CASE("a plugin calling sys.exit with a message fails with exit code 1 and prints it", "[inproc][lane]")
{
  PythonSandbox sandbox;
  LaneRun run("import sys\ndef run(**kwargs):\n    sys.exit('no sessions found')\n");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "failed");
  CHECK(outcome.exit_code == 1);
  CHECK(sink.err_text.find("no sessions found") != std::string::npos);
}

TEST_CASE("a plugin calling os._exit(4) fails with exit code 4", "[inproc][lane]")
{
  PythonSandbox sandbox;
  LaneRun run("import os\ndef run(**kwargs):\n    print('bye', flush=True)\n    os._exit(4)\n");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "failed");
  CHECK(outcome.exit_code == 4);
  CHECK(outcome.error["type"] == "mdivicom.ProcessExit");
  CHECK(sink.out_text == "bye\n");
}

TEST_CASE("a plugin that segfaults is recorded as crashed with the signal and a faulthandler traceback",
          "[inproc][lane]")
{
  PythonSandbox sandbox;
  LaneRun run("import ctypes\ndef crash_here():\n    ctypes.string_at(0)\ndef run(**kwargs):\n    crash_here()\n");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "crashed");
  CHECK(outcome.signal == SIGSEGV);
  CHECK_FALSE(outcome.exit_code);
  CHECK(outcome.error["type"] == "mdivicom.Crash");
  CHECK(sink.err_text.find("Fatal Python error: Segmentation fault") != std::string::npos);
  CHECK(sink.err_text.find("crash_here") != std::string::npos);
}

TEST_CASE("a plugin running past the timeout is stopped and recorded as timeout", "[inproc][lane]")
{
  PythonSandbox sandbox;
  LaneRun run("import time\ndef run(**kwargs):\n    print('working', flush=True)\n    time.sleep(600)\n");
  run.request.timeout_s = 1;
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "timeout");
  CHECK(outcome.signal == SIGTERM);
  // One name from both lanes: the container lane's timeout test checks the same (test_lifecycle.cpp).
  CHECK(outcome.error["type"] == to_string(RunError::timeout));
  CHECK(outcome.error["type"] == "mdivicom.Timeout");
  CHECK(sink.out_text == "working\n");
}

TEST_CASE("a plugin that ignores SIGTERM past the timeout is killed after the grace period", "[inproc][lane]")
{
  PythonSandbox sandbox;
  LaneRun run("import signal, time\ndef run(**kwargs):\n    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
              "    while True:\n        time.sleep(1)\n");
  run.request.timeout_s = 1;
  run.request.options["kill_grace_s"] = 0.5;
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "timeout");
  CHECK(outcome.signal == SIGKILL);
  CHECK(outcome.error["message"].get<std::string>().find("SIGKILL") != std::string::npos);
}

TEST_CASE("a plugin that cannot be imported fails with the import error", "[inproc][lane]")
{
  PythonSandbox sandbox;
  LaneRun run("import no_such_module_xyz\ndef run(**kwargs):\n    pass\n");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "failed");
  CHECK(outcome.error["type"] == "ModuleNotFoundError");
  CHECK(outcome.error["message"] == "No module named 'no_such_module_xyz'");
}

TEST_CASE("the python lane refuses a container plugin with a message naming the plugin", "[inproc][lane]")
{
  PythonSandbox sandbox;
  LaneRun run("def run(**kwargs):\n    pass\n");
  run.request.plugin.object["kind"] = "container";
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "failed");
  CHECK(outcome.error["type"] == "mdivicom.StartError");
  CHECK(outcome.error["message"].get<std::string>().find("lane-test") != std::string::npos);
  CHECK(outcome.error["message"].get<std::string>().find("kind 'container'") != std::string::npos);
}

TEST_CASE("INFO logging shows live even when the plugin imports logging only inside run()", "[inproc][lane][logging]")
{
  PythonSandbox sandbox;
  LaneRun run("def run(**kwargs):\n    import logging\n    logging.getLogger('late').info('late import works')\n");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "succeeded");
  CHECK(sink.err_text == "INFO:late:late import works\n");
}

TEST_CASE("a plugin's own logging.basicConfig at import time is kept", "[inproc][lane][logging]")
{
  PythonSandbox sandbox;
  LaneRun run(
      "import logging, sys\nlogging.basicConfig(stream=sys.stdout, level=logging.DEBUG, format='MINE %(message)s')\n"
      "def run(**kwargs):\n    logging.debug('debug line')\n");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "succeeded");
  CHECK(sink.out_text == "MINE debug line\n");
  CHECK(sink.err_text.empty());
}

TEST_CASE("exception messages with quotes, control characters and non-ASCII text arrive intact", "[inproc][lane]")
{
  PythonSandbox sandbox;
  LaneRun run("def run(**kwargs):\n    raise ValueError('say \"hi\"\\\\ \\t\\x01 – ü 🎉 \\udcff')\n");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "failed");
  // The lone surrogate (an undecodable byte in a file name, say) cannot be UTF-8: it becomes '?'.
  CHECK(outcome.error["message"] == "say \"hi\"\\ \t\x01 – ü 🎉 ?");
}

TEST_CASE("extension modules work in the worker as in python3: C ones, libpython's API through ctypes, and C++ ones",
          "[inproc][lane]")
{
  // The worker is linked like /usr/bin/python3 (libpython static) but exports only libpython's
  // API, with a libstdc++ of its own: extension modules must find every libpython symbol in it,
  // and a C++ extension (python3-apt's apt_pkg) must work with the shared libstdc++ it loads.
  PythonSandbox sandbox;
  LaneRun run("import ctypes, sqlite3, hashlib, _decimal, pyexpat, zlib\n"
              "import apt_pkg\n"
              "def run(**kwargs):\n"
              "    version = ctypes.pythonapi.Py_GetVersion\n"
              "    version.restype = ctypes.c_char_p\n"
              "    print('ctypes', version().decode().split()[0])\n"
              "    print('sqlite', sqlite3.connect(':memory:').execute('select 6*7').fetchone()[0])\n"
              "    print('sha256', hashlib.sha256(b'mdivicom').hexdigest()[:12])\n"
              "    apt_pkg.init()\n"
              "    print('apt', apt_pkg.version_compare('1.0~rc1', '1.0'), apt_pkg.upstream_version('2:1.4-3'))\n"
              "    print('apt section', apt_pkg.TagSection('Package: x\\nVersion: 1.2\\n')['Version'])\n"
              "    try:\n"
              "        apt_pkg.TagSection('not: valid\\n broken')\n"
              "    except ValueError:\n"
              "        print('apt raised ValueError')\n");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  INFO(sink.err_text);
  CHECK(to_string(outcome.status) == "succeeded");
  auto python_version = run_command({"/usr/bin/python3", "-c", "import platform; print(platform.python_version())"});
  CHECK(sink.out_text.find("ctypes " + python_version.out) != std::string::npos);
  CHECK(sink.out_text.find("sqlite 42\n") != std::string::npos);
  CHECK(sink.out_text.find("sha256 " + mdivicom::sha256_hex("mdivicom").substr(0, 12) + "\n") != std::string::npos);
  CHECK(sink.out_text.find("apt -1 1.4\n") != std::string::npos);
  CHECK(sink.out_text.find("apt section 1.2\n") != std::string::npos);
  CHECK(sink.out_text.find("apt raised ValueError\n") != std::string::npos);
}

TEST_CASE("a plugin filling and emptying many of pymalloc's arenas runs as in python3", "[inproc][lane]")
{
  // The worker maps pymalloc's arenas itself and populates the first ones (startup_memory.hpp):
  // arenas past those, arenas given back and mapped again must work as CPython's own do.
  PythonSandbox sandbox;
  LaneRun run("import sys\n"
              "def run(**kwargs):\n"
              "    for round in range(3):\n"
              "        objects = [(i, str(i)) for i in range(300000)]\n"
              "        print(round, len(objects), sum(i for i, _ in objects[::1000]))\n"
              "        del objects\n"
              "    sys._debugmallocstats()\n");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  INFO(sink.err_text);
  CHECK(to_string(outcome.status) == "succeeded");
  CHECK(sink.out_text == "0 300000 44850000\n1 300000 44850000\n2 300000 44850000\n");
  // Each round needs tens of arenas and gives them back when the list goes.
  auto reclaimed = sink.err_text.find("# arenas reclaimed");
  REQUIRE(reclaimed != std::string::npos);
  CHECK(std::stol(sink.err_text.substr(sink.err_text.find('=', reclaimed) + 1)) >= 20);
}
