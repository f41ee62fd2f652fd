#include <catch2/catch.hpp>

#include "core/util/interrupt.hpp"
#include "inproc_support.hpp"
#include "lanes/inproc/inproc.hpp"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include <unistd.h>

using namespace mdivicom;
using namespace mdivicom::test;

namespace {

// Interrupts this process (as Ctrl-C would) once the plugin printed "ready".
void interrupt_when_ready(CapturingSink& sink, int signal)
{
  sink.on_out = [signal, sent = false](const std::string& so_far) mutable {
    if (!sent && so_far.find("ready\n") != std::string::npos) {
      sent = true;
      kill(getpid(), signal);
    }
  };
}

} // namespace

TEST_CASE("Ctrl-C is forwarded as KeyboardInterrupt, the plugin cleans up, and the run is cancelled",
          "[inproc][interrupt]")
{
  PythonSandbox sandbox;
  LaneRun run(R"(
import os, time
def run(dataset_dir, out_dir, config, **kwargs):
    try:
        print("ready", flush=True)
        time.sleep(600)
    finally:
        open(os.path.join(out_dir, "cleaned-up"), "w").write("yes")
)");
  InterruptScope scope;
  CapturingSink sink;
  interrupt_when_ready(sink, SIGINT);
  RunOutcome outcome = execute(run.request, sink);
  INFO("exit " << outcome.exit_code.value_or(-1) << " signal " << outcome.signal.value_or(0)
               << " stderr: " << sink.err_text);
  CHECK(to_string(outcome.status) == "cancelled");
  CHECK(outcome.error["type"] == "mdivicom.Cancelled");
  CHECK(read_file(run.request.plugin_out_dir / "cleaned-up") == "yes");
  CHECK(sink.err_text.find("KeyboardInterrupt") != std::string::npos);
}

TEST_CASE("SIGTERM to mdivicom cancels the run too", "[inproc][interrupt]")
{
  PythonSandbox sandbox;
  LaneRun run("import time\ndef run(**kwargs):\n    print('ready', flush=True)\n    time.sleep(600)\n");
  InterruptScope scope;
  CapturingSink sink;
  interrupt_when_ready(sink, SIGTERM);
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "cancelled");
  CHECK(outcome.error["message"].get<std::string>().find("SIGTERM") != std::string::npos);
}

TEST_CASE("a plugin that swallows KeyboardInterrupt is killed after the grace period and cancelled",
          "[inproc][interrupt]")
{
  PythonSandbox sandbox;
  LaneRun run(R"(
import time
def run(**kwargs):
    announced = False
    while True:
        try:
            if not announced:
                announced = True
                print("ready", flush=True)
            time.sleep(600)
        except KeyboardInterrupt:
            pass
)");
  run.request.options["kill_grace_s"] = 0.5;
  InterruptScope scope;
  CapturingSink sink;
  interrupt_when_ready(sink, SIGINT);
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "cancelled");
  CHECK(outcome.signal == SIGKILL);
}

TEST_CASE("a second Ctrl-C kills a plugin that swallows the first without waiting for the grace period",
          "[inproc][interrupt]")
{
  PythonSandbox sandbox;
  LaneRun run(R"(
import time
def run(**kwargs):
    announced = False
    while True:
        try:
            if not announced:
                announced = True
                print("ready", flush=True)
            time.sleep(600)
        except KeyboardInterrupt:
            print("swallowed", flush=True)
)");
  run.request.options["kill_grace_s"] = 3600; // past the test's own timeout: only the second Ctrl-C ends it
  InterruptScope scope;
  CapturingSink sink;
  sink.on_out = [sent = 0](const std::string& so_far) mutable {
    if ((sent == 0 && so_far.find("ready\n") != std::string::npos) ||
        (sent == 1 && so_far.find("swallowed\n") != std::string::npos)) {
      ++sent;
      kill(getpid(), SIGINT);
    }
  };
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "cancelled");
  CHECK(outcome.signal == SIGKILL);
  CHECK(outcome.error["message"].get<std::string>().find("second interrupt") != std::string::npos);
}

TEST_CASE("processes a plugin leaves behind are killed when the run ends", "[inproc][lane]")
{
  PythonSandbox sandbox;
  // Found by its command line: the pid the plugin sees is its PID namespace's.
  const std::string marker = "1000." + std::to_string(getpid());
  LaneRun run(R"(
import subprocess
def run(dataset_dir, out_dir, config, **kwargs):
    subprocess.Popen(["sleep", ")" +
              marker + R"("])
)");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "succeeded");
  CHECK(processes_running({"sleep", marker}).empty());
}

namespace {

// This process's children, from /proc (every thread's list).
std::multiset<std::string> child_pids()
{
  std::multiset<std::string> pids;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream children(task.path() / "children");
    std::string pid;
    while (children >> pid) {
      pids.insert(pid);
    }
  }
  return pids;
}

} // namespace

TEST_CASE("a worker started by prepare() but never given its job is stopped with the lane", "[inproc][lane]")
{
  // Core prepares the lane as soon as the plugin is known; the run can still fail its checks
  // (a bad --out, say) or be only planned, and then the waiting worker must not linger.
  PythonSandbox sandbox;
  LaneRun run("def run(**kwargs):\n    pass\n");
  auto before = child_pids();
  {
    auto lane = inproc::make_python_lane();
    lane->prepare(run.request.plugin, run.request.options);
    CHECK(child_pids().size() == before.size() + 1);
    CHECK(lane->describe(run.request)["backend"] == "python");
  }
  CHECK(child_pids() == before);
}

TEST_CASE("a lane warmed up before the plugin is known runs the plugin in the worker it started", "[inproc][lane]")
{
  // `mdivicom run` warms the Python lane up before it looks for the plugin, then prepares it
  // once the plugin is found: the interpreter must start once, not twice.
  PythonSandbox sandbox;
  LaneRun run("def run(**kwargs):\n    pass\n");
  auto before = child_pids();
  auto lane = inproc::make_python_lane();
  lane->warm_up(run.request.options);
  auto warm = child_pids();
  REQUIRE(warm.size() == before.size() + 1);
  lane->prepare(run.request.plugin, run.request.options);
  CHECK(child_pids() == warm);

  CapturingSink sink;
  RunOutcome outcome = lane->execute(run.request, sink);
  INFO(sink.err_text);
  CHECK(outcome.status == RunStatus::succeeded);
  for (const auto& pid : before) {
    warm.erase(pid);
  }
  REQUIRE(warm.size() == 1);
  CHECK(std::to_string(outcome.facts["python"].value("worker_pid", 0)) == *warm.begin());
}
