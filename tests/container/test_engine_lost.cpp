// An engine that dies while a container runs: the run ends, finalized, naming the engine.
// Each test kills an engine of its own, never the suite's shared ones.
#include "container/support.hpp"

#include <csignal>
#include <fstream>
#include <algorithm>

#include <sys/wait.h>
#include <unistd.h>

#include "support/process.hpp"
#include "support/record_schema.hpp"

namespace fs = std::filesystem;
using namespace mdivicom;
using namespace mdivicom::test;

namespace {

const std::string k_engines_sh = std::string(MDIVICOM_SOURCE_DIR) + "/tests/container/engines.sh";

nlohmann::json shell_entry(const std::string& script)
{
  return {{"argv", {"sh", "-c", script}}};
}

// A dockerd with its own data root, exec root and socket in DIR, stopped by PID (with the
// containerd, shims and containers it leaves when killed) on every path out of the test.
class PrivateDockerd
{
public:
  explicit PrivateDockerd(std::string dir) : m_dir(std::move(dir))
  {
    auto started = run_command({k_engines_sh, "dockerd", m_dir});
    INFO(started.out << started.err);
    REQUIRE(started.exit_code == 0);
    m_pid = std::stoi(read_file(m_dir + "/dockerd.pid"));
  }
  ~PrivateDockerd() { stop(); }
  PrivateDockerd(const PrivateDockerd&) = delete;
  PrivateDockerd& operator=(const PrivateDockerd&) = delete;

  std::string socket() const { return m_dir + "/docker.sock"; }
  const std::string& dir() const { return m_dir; }
  pid_t pid() const { return m_pid; }

  // Returns engines.sh's exit status.
  int stop()
  {
    if (m_stopped) {
      return 0;
    }
    m_stopped = true;
    return run_command({k_engines_sh, "stop", m_dir}).exit_code;
  }

private:
  std::string m_dir;
  pid_t m_pid = 0;
  bool m_stopped = false;
};

// The processes whose command line mentions `text` (e.g. a private engine's directory).
std::vector<std::string> processes_mentioning(const std::string& text)
{
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos || name == std::to_string(getpid())) {
      continue;
    }
    std::ifstream file(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(text) != std::string::npos) {
      found.push_back(name + ": " + cmdline);
    }
  }
  return found;
}

// Whether a file in `dir` with the extension holds `text`.
bool some_file_holds(const fs::path& dir, const std::string& extension, const std::string& text)
{
  std::error_code ec;
  for (const auto& file : fs::directory_iterator(dir, ec)) {
    if (file.path().extension() == extension && read_file(file.path()).find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// A child process that SIGKILLs `victim` once the run's log under `out` shows "started" (the
// container is running), or gives up after 120 s. Exits 0 when it killed.
pid_t kill_when_started(pid_t victim, const fs::path& out)
{
  pid_t killer = fork();
  if (killer == 0) {
    for (int i = 0; i < 1200; ++i) {
      if (some_file_holds(out / "_runs", ".log", "started")) {
        _exit(kill(victim, SIGKILL) == 0 ? 0 : 1);
      }
      usleep(100 * 1000);
    }
    _exit(2);
  }
  return killer;
}

int exit_status(pid_t child)
{
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

TEST_CASE("a dockerd killed mid-run ends mdivicom run with a finalized failed record naming the engine (docker)",
          "[container][cli]")
{
  // Short: containerd nests unix sockets below the exec root.
  PrivateDockerd docker(engines_dir() + "/kd" + std::to_string(getpid()));
  TempDir temp;
  fs::create_directories(temp / "manifests");
  fs::create_directories(temp / "dataset");
  write_file(temp / "dataset" / "a.txt", "a\n");
  // The fresh engine has no images: the run loads the test image from an archive first.
  fs::copy_file(test_images_dir() / "archive.tar", temp / "manifests" / "image.tar");
  nlohmann::json manifest = {
      {"meta",
       {{"api_version", "mdivicomtools.plugin.v0.1"},
        {"id", "ctr-doomed"},
        {"kind", "container"},
        {"version", "0.1.0"},
        {"description", "runs while its engine is killed"}}},
      {"entry",
       {{"image", k_archived_image},
        {"image_archive", "image.tar"},
        {"argv", {"sh", "-c", "echo started; sleep 300"}}}},
  };
  write_file(temp / "manifests" / "ctr-doomed.json", manifest.dump());

  pid_t killer = kill_when_started(docker.pid(), temp / "out");
  CommandOptions options;
  options.env["MDIVICOM_PLUGIN_PATH"] = (temp / "manifests").string();
  auto result = run_mdivicom({"run", "ctr-doomed", "--dataset", (temp / "dataset").string(), "--out",
                              (temp / "out").string(), "--engine", "unix://" + docker.socket(), "--backend", "docker"},
                             options);
  INFO(result.out << result.err);
  REQUIRE(exit_status(killer) == 0);
  CHECK(result.exit_code == 4); // the engine was lost, not the plugin
  CHECK(result.out.find("started") != std::string::npos);

  nlohmann::json record;
  for (const auto& file : fs::directory_iterator(temp / "out" / "_runs")) {
    if (file.path().extension() == ".json") {
      record = nlohmann::json::parse(read_file(file.path()));
    }
  }
  REQUIRE(record.is_object());
  INFO(record.dump(2));
  check_record_schema(record);
  CHECK(record["status"] == "failed");
  CHECK(record["finished_at"].is_string());
  CHECK(record["error"]["type"] == "mdivicom.EngineLost");
  std::string lost = "lost the connection to docker at " + docker.socket();
  CHECK(record["error"]["message"].get<std::string>().find(lost) != std::string::npos);
  CHECK(record["error"]["message"].get<std::string>().find("check its service and logs") != std::string::npos);
  CHECK(record["container"]["removed"] == false);
  CHECK(result.err.find("mdivicom: error: run " + record["run_id"].get<std::string>() + " failed: " + lost) !=
        std::string::npos);

  // The killed dockerd left its containerd, the shim and the container running; all of them go.
  CHECK_FALSE(processes_mentioning(docker.dir()).empty());
  CHECK(docker.stop() == 0);
  INFO(nlohmann::json(processes_mentioning(docker.dir())).dump(2));
  CHECK(processes_mentioning(docker.dir()).empty());
  CHECK_FALSE(fs::exists(docker.dir()));
}

// Kills the engine the moment the container's first line arrives: it is running then.
struct KillingSink : CaptureSink
{
  pid_t victim = 0;
  bool killed = false;
  void out(std::string_view text) override
  {
    CaptureSink::out(text);
    if (!killed && out_text.find("started") != std::string::npos) {
      killed = kill(victim, SIGKILL) == 0;
    }
  }
};

TEST_CASE("an engine killed mid-run fails the run with a clear error instead of hanging (podman)", "[container]")
{
  auto main_engine = test_engine("podman");
  auto started = run_command({k_engines_sh, "extra-podman", engines_dir(), "doomed"});
  REQUIRE(started.exit_code == 0);
  std::string socket = engines_dir() + "/doomed.sock";
  TestEngine doomed{"podman", socket};
  RunSetup setup(doomed, shell_entry("echo started; sleep 300"));
  KillingSink sink;
  sink.victim = std::stoi(read_file(engines_dir() + "/doomed.pid"));
  RunOutcome outcome = setup.execute(sink);
  INFO(outcome.error.dump());
  REQUIRE(sink.killed);
  CHECK(outcome.status == RunStatus::failed);
  CHECK(outcome.error["type"] == "mdivicom.EngineLost");
  std::string message = outcome.error["message"];
  CHECK(message.find("lost the connection to podman at " + socket) != std::string::npos);
  CHECK(outcome.facts["container"]["removed"] == false);
  // The container outlived its engine's API service; the shared storage's main service removes it.
  auto handle = main_engine.connect();
  for (const auto& id : containers_of_run(handle, setup.request().run_id)) {
    handle.call("DELETE", container::Engine::api("/containers/" + id + "?force=1"));
  }
  fs::remove(engines_dir() + "/doomed.pid");
}
