// `mdivicom run` warms the Python lane up before it knows the plugin's kind (a Python worker
// starts its interpreter while the catalog resolves the plugin). For a container plugin that
// worker must be gone before the container runs, not kept until mdivicom exits.
#include "container/support.hpp"

#include <atomic>
#include <fstream>
#include <thread>

#include <unistd.h>

#include "support/process.hpp"

namespace fs = std::filesystem;
using namespace mdivicom::test;

namespace {

pid_t parent_of(pid_t pid)
{
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
  auto close = text.rfind(')');
  if (close == std::string::npos) {
    return 0;
  }
  char state = 0;
  int ppid = 0;
  return std::sscanf(text.c_str() + close + 1, " %c %d", &state, &ppid) == 2 ? ppid : 0;
}

// Python workers of an mdivicom started by this test process (children of its children).
int python_workers_of_this_test()
{
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::ifstream comm(entry.path() / "comm");
    std::string command;
    std::getline(comm, command);
    const pid_t pid = std::stoi(name);
    if (command.rfind("mdivicom-python", 0) == 0 && parent_of(parent_of(pid)) == getpid()) {
      ++count;
    }
  }
  return count;
}

} // namespace

TEST_CASE("a container run with --backend auto keeps no Python worker while its container runs", "[container][cli]")
{
  TestEngine engine = test_engine("docker");
  TempDir temp;
  fs::create_directories(temp / "manifests");
  fs::create_directories(temp / "dataset");
  nlohmann::json manifest = {
      {"meta",
       {{"api_version", "mdivicomtools.plugin.v0.1"},
        {"id", "ctr-warm"},
        {"kind", "container"},
        {"version", "1.0.0"},
        {"description", "sleeps while the test looks at mdivicom's processes"}}},
      {"entry", {{"image", k_test_image}, {"argv", {"sh", "-c", "echo started; sleep 4"}}}},
  };
  write_file(temp / "manifests" / "ctr-warm.json", manifest.dump());

  std::atomic<bool> done = false;
  std::atomic<int> most_workers_seen = 0;
  std::atomic<int> looks = 0;
  std::thread watcher([&] {
    // From 1.5 s on, the container is running (or being started): the warm worker, if any,
    // was stopped milliseconds after mdivicom resolved the plugin.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    while (!done) {
      most_workers_seen = std::max(most_workers_seen.load(), python_workers_of_this_test());
      ++looks;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  CommandOptions options;
  options.env["MDIVICOM_PLUGIN_PATH"] = (temp / "manifests").string();
  auto result = run_mdivicom({"run", "ctr-warm", "--dataset", (temp / "dataset").string(), "--out",
                              (temp / "out").string(), "--engine", engine.engine_option()},
                             options);
  done = true;
  watcher.join();
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("started") != std::string::npos);
  CHECK(looks > 5);
  CHECK(most_workers_seen == 0);
}
