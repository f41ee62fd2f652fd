#include "container/support.hpp"

#include <csignal>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/run/outcome_error.hpp"
#include "lanes/container/container.hpp"
#include "support/process.hpp"

namespace fs = std::filesystem;
using namespace mdivicom;
using namespace mdivicom::test;

namespace {

nlohmann::json shell_entry(const std::string& script)
{
  return {{"argv", {"sh", "-c", script}}};
}

void timeout_stops_and_removes(const TestEngine& engine)
{
  // The shell ignores SIGTERM, so the stop has to end in a kill after the grace period.
  RunSetup setup(engine, shell_entry("trap '' TERM; echo started; sleep 60 & wait; sleep 60"));
  setup.request().timeout_s = 1.5;
  setup.request().options["stop_grace"] = 1;
  CaptureSink sink;
  RunOutcome outcome = setup.execute(sink);
  INFO(outcome.error.dump());
  CHECK(outcome.status == RunStatus::timeout);
  // One name from both lanes: the Python lane's timeout test checks the same (test_lane_outcomes.cpp).
  CHECK(outcome.error["type"] == to_string(RunError::timeout));
  CHECK(outcome.error["type"] == "mdivicom.Timeout");
  CHECK(sink.out_text == "started\n");
  const auto& facts = outcome.facts["container"];
  CHECK(facts["stop"]["reason"] == "timeout");
  CHECK(facts["removed"] == true);
  CHECK(containers_of_run(engine.connect(), setup.request().run_id).empty());
}
ENGINE_TEST_CASE("a container past --timeout is stopped, killed after the grace period and removed", "[container]",
                 timeout_stops_and_removes)

void interrupt_cancels(const TestEngine& engine)
{
  RunSetup setup(engine, shell_entry("echo started; sleep 60"));
  DriverResult result = run_driver(setup.to_json(), {}, 3.0, SIGINT);
  INFO(result.err << result.outcome.dump());
  REQUIRE(result.exit_code == 0);
  CHECK(result.outcome["status"] == "cancelled");
  CHECK(result.outcome["error"]["type"] == "mdivicom.Cancelled");
  CHECK(result.outcome["facts"]["container"]["removed"] == true);
  CHECK(containers_of_run(engine.connect(), setup.request().run_id).empty());
}
ENGINE_TEST_CASE("Ctrl-C during a run stops and removes the container and reports cancelled", "[container]",
                 interrupt_cancels)

void outputs_belong_to_caller(const TestEngine& engine)
{
  if (getuid() != 0) {
    WARN("skipped: needs root to run the lane as uid 1000");
    return;
  }
  RunSetup setup(engine, shell_entry("id -u; id -g; echo data > /out/made.txt; mkdir /out/sub; "
                                     "echo w > /work/w.txt"));
  for (const auto& path : fs::recursive_directory_iterator(setup.root())) {
    REQUIRE(lchown(path.path().c_str(), 1000, 1000) == 0);
  }
  REQUIRE(chown(setup.root().c_str(), 1000, 1000) == 0);
  DriverResult result = run_driver(setup.to_json(), {"setpriv", "--reuid=1000", "--regid=1000", "--clear-groups"});
  INFO(result.err << result.outcome.dump());
  REQUIRE(result.exit_code == 0);
  CHECK(result.outcome["status"] == "succeeded");
  CHECK(result.outcome["out"] == "1000\n1000\n");
  CHECK(result.outcome["facts"]["container"]["user"]["container_user"] == "1000:1000");
  for (const auto& path : {setup.out_dir() / "made.txt", setup.out_dir() / "sub", setup.request().work_dir / "w.txt"}) {
    struct stat info = {};
    REQUIRE(stat(path.c_str(), &info) == 0);
    CHECK(info.st_uid == 1000);
    CHECK(info.st_gid == 1000);
  }
}
ENGINE_TEST_CASE("outputs of a run are owned by the unprivileged user who ran it", "[container]",
                 outputs_belong_to_caller)

void supplementary_group_reads_dataset(const TestEngine& engine)
{
  if (getuid() != 0) {
    WARN("skipped: needs root to run the lane as uid 1000 with a supplementary group");
    return;
  }
  // A lab's layout: the dataset belongs to a project group the caller is a member of, besides
  // its own primary group.
  RunSetup setup(engine, shell_entry("id -G; cat /data/project/secret.csv"));
  for (const auto& path : fs::recursive_directory_iterator(setup.root())) {
    REQUIRE(lchown(path.path().c_str(), 1000, 1000) == 0);
  }
  REQUIRE(chown(setup.root().c_str(), 1000, 1000) == 0);
  const fs::path project = setup.dataset() / "project";
  write_file(project / "secret.csv", "t,x\n0,1\n");
  REQUIRE(chown(project.c_str(), 0, 2000) == 0);
  REQUIRE(chown((project / "secret.csv").c_str(), 0, 2000) == 0);
  fs::permissions(project, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
  fs::permissions(project / "secret.csv", fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);

  DriverResult result = run_driver(setup.to_json(), {"setpriv", "--reuid=1000", "--regid=1000", "--groups=2000"});
  INFO(result.err << result.outcome.dump());
  REQUIRE(result.exit_code == 0);
  CHECK(result.outcome["status"] == "succeeded");
  CHECK(result.outcome["out"] == "1000 2000\nt,x\n0,1\n");
  CHECK(result.outcome["facts"]["container"]["user"]["groups"] == nlohmann::json::array({"2000"}));
}
ENGINE_TEST_CASE("a dataset the caller reads through a supplementary group is readable in the container", "[container]",
                 supplementary_group_reads_dataset)

void leftovers_are_reaped(const TestEngine& engine)
{
  auto handle = engine.connect();
  // A runner killed outright leaves its container running...
  RunSetup killed(engine, shell_entry("sleep 300"));
  DriverResult result = run_driver(killed.to_json(), {}, 3.0, SIGKILL);
  CHECK(result.signal == SIGKILL);
  REQUIRE(containers_of_run(handle, killed.request().run_id).size() == 1);
  // ...which `gc --dry-run` lists, and the next run removes.
  auto listed = container::gc({engine.engine_option(), engine.name, true});
  CHECK(listed["engines"][0]["found"].dump().find(killed.request().run_id) != std::string::npos);
  REQUIRE(containers_of_run(handle, killed.request().run_id).size() == 1);

  RunSetup next(engine, shell_entry("true"));
  CaptureSink sink;
  RunOutcome outcome = next.execute(sink);
  CHECK(outcome.status == RunStatus::succeeded);
  CHECK(outcome.facts["container"]["reaped_leftovers"].dump().find(killed.request().run_id) != std::string::npos);
  CHECK(containers_of_run(handle, killed.request().run_id).empty());

  // gc removes them as well; a live runner's container is left alone.
  RunSetup again(engine, shell_entry("sleep 300"));
  run_driver(again.to_json(), {}, 3.0, SIGKILL);
  REQUIRE(containers_of_run(handle, again.request().run_id).size() == 1);
  auto removed = container::gc({engine.engine_option(), engine.name, false});
  CHECK(removed["engines"][0]["removed"].dump().find(again.request().run_id) != std::string::npos);
  CHECK(containers_of_run(handle, again.request().run_id).empty());
}
// [serial]: see the gc test in test_cli.cpp.
ENGINE_TEST_CASE("containers left by a killed runner are removed by the next run and by gc", "[container][serial]",
                 leftovers_are_reaped)

RunOutcome run_on_socket(const std::string& socket, const std::string& backend)
{
  RunSetup setup(test_engine("docker"), shell_entry("true"));
  setup.request().options["engine"] = "unix://" + socket;
  setup.request().backend = backend;
  CaptureSink sink;
  return setup.execute(sink);
}

TEST_CASE("an engine that is not running is reported with what to start", "[container]")
{
  TempDir dir;
  RunOutcome missing = run_on_socket((dir / "none.sock").string(), "podman");
  CHECK(missing.status == RunStatus::failed);
  CHECK(missing.error["type"] == "mdivicom.EngineUnavailable");
  std::string message = missing.error["message"];
  CHECK(message.find("cannot connect to " + (dir / "none.sock").string()) != std::string::npos);
  CHECK(message.find("no such file") != std::string::npos);
  CHECK(message.find("podman system service") != std::string::npos);

  // A socket file whose engine died: connection refused.
  std::string stale = (dir / "stale.sock").string();
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  stale.copy(address.sun_path, stale.size());
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  close(fd);
  RunOutcome refused = run_on_socket(stale, "docker");
  message = refused.error["message"];
  CHECK(message.find("connection refused") != std::string::npos);
  CHECK(message.find("start Docker") != std::string::npos);

  // Not a unix socket.
  RunSetup setup(test_engine("docker"), shell_entry("true"));
  setup.request().options["engine"] = "tcp://127.0.0.1:2375";
  CaptureSink sink;
  RunOutcome tcp = setup.execute(sink);
  CHECK(tcp.error["message"].get<std::string>().find("--engine=tcp://127.0.0.1:2375 is not a unix socket") !=
        std::string::npos);
}

TEST_CASE("a socket the user may not open is reported as permission denied with the fix", "[container]")
{
  if (getuid() != 0) {
    WARN("skipped: needs root to run the lane as uid 1000");
    return;
  }
  RunSetup setup(test_engine("docker"), shell_entry("true"));
  for (const auto& path : fs::recursive_directory_iterator(setup.root())) {
    REQUIRE(lchown(path.path().c_str(), 1000, 1000) == 0);
  }
  REQUIRE(chown(setup.root().c_str(), 1000, 1000) == 0);
  // A root-only socket with a live listener behind it, like a default /var/run/docker.sock.
  std::string path = (setup.root() / "root-only.sock").string();
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  path.copy(address.sun_path, path.size());
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(listen(fd, 4) == 0);
  REQUIRE(chmod(path.c_str(), 0600) == 0);
  auto request = setup.to_json();
  request["options"]["engine"] = "unix://" + path;
  DriverResult result = run_driver(request, {"setpriv", "--reuid=1000", "--regid=1000", "--clear-groups"});
  close(fd);
  INFO(result.err << result.outcome.dump());
  std::string message = result.outcome["error"]["message"];
  CHECK(message.find("permission denied") != std::string::npos);
  CHECK(message.find("usermod -aG docker") != std::string::npos);
}

} // namespace
