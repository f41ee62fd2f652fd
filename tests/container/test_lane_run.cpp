#include "container/support.hpp"

#include <cstdio>

#include <sys/stat.h>

#include "lanes/container/image/image.hpp"

namespace fs = std::filesystem;
using namespace mdivicom;
using namespace mdivicom::test;

namespace {

nlohmann::json shell_entry(const std::string& script)
{
  return {{"argv", {"sh", "-c", script}}};
}

void succeeds_with_streamed_output(const TestEngine& engine)
{
  RunSetup setup(engine, shell_entry("echo hello from {out_dir}; echo oops >&2; cat {config_path}; echo; "
                                     "ls $MDIVICOM_DATASET_DIR; echo result > $MDIVICOM_OUT_DIR/result.txt; "
                                     "echo run=$MDIVICOM_RUN_ID dry=$MDIVICOM_DRY_RUN work=$MDIVICOM_WORK_DIR"));
  CaptureSink sink;
  RunOutcome outcome = setup.execute(sink);
  INFO(outcome.error.dump() << sink.err_text);
  CHECK(outcome.status == RunStatus::succeeded);
  CHECK(outcome.exit_code == 0);
  CHECK(outcome.backend == engine.name);
  CHECK(sink.out_text.find("hello from /out\n") != std::string::npos);
  CHECK(sink.out_text.find(R"({"greeting":"hi"})") != std::string::npos);
  CHECK(sink.out_text.find("README\nsessions\n") != std::string::npos);
  CHECK(sink.out_text.find("run=" + setup.request().run_id + " dry=0 work=/work") != std::string::npos);
  CHECK(sink.err_text == "oops\n");
  CHECK(read_file(setup.out_dir() / "result.txt") == "result\n");

  const auto& facts = outcome.facts["container"];
  CHECK(facts["engine"]["name"] == engine.name);
  CHECK(facts["engine"]["socket"] == engine.socket);
  CHECK_FALSE(facts["engine"]["version"].get<std::string>().empty());
  auto engine_handle = engine.connect();
  auto image = container::inspect_image(engine_handle, k_test_image);
  REQUIRE(image.ok());
  CHECK(facts["image"]["id"] == image->value("Id", ""));
  CHECK(facts["image"]["ref"] == k_test_image);
  CHECK(facts["image"]["source"] == "present");
  CHECK(facts["network"] == "none");
  CHECK(facts["oom_killed"] == false);
  CHECK(facts["removed"] == true);
  CHECK(facts["exit_code"] == 0);
  CHECK(containers_of_run(engine_handle, setup.request().run_id).empty());
}
ENGINE_TEST_CASE("a container plugin runs with its output streamed and its facts recorded", "[container]",
                 succeeds_with_streamed_output)

void nonzero_exit_fails(const TestEngine& engine)
{
  RunSetup setup(engine, shell_entry("echo partial; exit 3"));
  CaptureSink sink;
  RunOutcome outcome = setup.execute(sink);
  CHECK(outcome.status == RunStatus::failed);
  CHECK(outcome.exit_code == 3);
  CHECK(outcome.error["type"] == "mdivicom.ProcessExit");
  CHECK(sink.out_text == "partial\n");
  CHECK(outcome.facts["container"]["removed"] == true);
}
ENGINE_TEST_CASE("a container that exits non-zero is a failed run with its exit code", "[container]",
                 nonzero_exit_fails)

// The end of the output stream is not the end of the run: a tool that closes its stdout and
// stderr and works on is waited for, and its exit code is the one recorded.
void closed_output_is_not_the_exit(const TestEngine& engine)
{
  RunSetup setup(engine, shell_entry("echo before; exec >&- 2>&-; sleep 3; echo done > /out/done.txt; exit 5"));
  CaptureSink sink;
  RunOutcome outcome = setup.execute(sink);
  INFO(outcome.error.dump());
  CHECK(outcome.status == RunStatus::failed);
  CHECK(outcome.exit_code == 5);
  CHECK(sink.out_text == "before\n");
  CHECK(read_file(setup.out_dir() / "done.txt") == "done\n");
  CHECK(outcome.facts["container"]["removed"] == true);
}
ENGINE_TEST_CASE("a container that closes its output and works on is waited for until it exits", "[container]",
                 closed_output_is_not_the_exit)

void locked_down(const TestEngine& engine)
{
  RunSetup setup(engine, shell_entry("touch /data/new 2>/dev/null && echo dataset-writable; "
                                     "echo x >> /data/README 2>/dev/null && echo dataset-appendable; "
                                     "touch /bin/new 2>/dev/null && echo rootfs-writable; "
                                     "touch /tmp/ok /work/ok /out/ok || echo cannot-write-allowed; "
                                     "cat /proc/self/status | grep -E '^(CapEff|NoNewPrivs)'; "
                                     "ls /sys/class/net; echo pids=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || "
                                     "cat /sys/fs/cgroup/pids.max); echo uid=$(id -u)"));
  CaptureSink sink;
  RunOutcome outcome = setup.execute(sink);
  INFO(sink.out_text << sink.err_text << outcome.error.dump());
  CHECK(outcome.status == RunStatus::succeeded);
  CHECK(sink.out_text.find("writable") == std::string::npos);
  CHECK(sink.out_text.find("appendable") == std::string::npos);
  CHECK(sink.out_text.find("cannot-write-allowed") == std::string::npos);
  CHECK(sink.out_text.find("CapEff:\t0000000000000000") != std::string::npos);
  CHECK(sink.out_text.find("NoNewPrivs:\t1") != std::string::npos);
  CHECK(sink.out_text.find("lo\npids=") != std::string::npos); // no interface but loopback
  CHECK(sink.out_text.find("pids=512") != std::string::npos);
  CHECK(sink.out_text.find("uid=" + std::to_string(getuid())) != std::string::npos);
  CHECK(read_file(setup.dataset() / "README") == "test dataset\n");
  CHECK_FALSE(fs::exists(setup.dataset() / "new"));
  CHECK(fs::exists(setup.out_dir() / "ok"));

  const auto& facts = outcome.facts["container"];
  CHECK(facts["security"]["cap_drop"] == nlohmann::json{"ALL"});
  CHECK(facts["security"]["read_only_rootfs"] == true);
  int read_only = 0;
  for (const auto& mount : facts["mounts"]) {
    read_only += mount["read_only"].get<bool>() ? 1 : 0;
  }
  CHECK(facts["mounts"].size() == 4);
  CHECK(read_only == 2); // dataset and config
}
ENGINE_TEST_CASE("a container gets a read-only dataset and root, no network and no capabilities", "[container]",
                 locked_down)

// The registry listens on the host's 127.0.0.1: its socket is visible in /proc/net/tcp only
// from the host's network namespace. (Busybox's static wget cannot be used: it crashes on
// service lookups without the host's NSS modules.)
std::string registry_socket_hex()
{
  std::string registry = test_registry();
  char hex[16];
  std::snprintf(hex, sizeof hex, "%04X", std::stoi(registry.substr(registry.rfind(':') + 1)));
  return std::string("0100007F:") + hex;
}

void no_network_reaches_registry(const TestEngine& engine)
{
  RunSetup setup(engine, shell_entry("ls /sys/class/net; cat /proc/net/tcp"));
  CaptureSink sink;
  RunOutcome outcome = setup.execute(sink);
  INFO(sink.out_text << sink.err_text << outcome.error.dump());
  CHECK(outcome.status == RunStatus::succeeded);
  CHECK(sink.out_text.rfind("lo\n", 0) == 0);
  CHECK(sink.out_text.find(registry_socket_hex()) == std::string::npos);
}
ENGINE_TEST_CASE("a container without network sees neither interfaces nor the host's loopback", "[container]",
                 no_network_reaches_registry)

void network_on_request(const TestEngine& engine)
{
  nlohmann::json entry = shell_entry("cat /proc/net/tcp");
  entry["network"] = "host";
  RunSetup setup(engine, entry);
  CaptureSink sink;
  RunOutcome outcome = setup.execute(sink);
  INFO(sink.err_text << outcome.error.dump());
  CHECK(outcome.status == RunStatus::succeeded);
  CHECK(sink.out_text.find(registry_socket_hex()) != std::string::npos);
  CHECK(outcome.facts["container"]["network"] == "host");
}
ENGINE_TEST_CASE("a manifest that asks for the host network gets it and the record says so", "[container]",
                 network_on_request)

} // namespace

namespace {

void out_of_memory(const TestEngine& engine)
{
  nlohmann::json entry = {
      {"argv", {"sh", "-c", "echo start; exec awk 'BEGIN { s = \"xxxxxxxx\"; while (1) s = s s }'"}},
      {"resources", {{"memory", "16m"}}}};
  RunSetup setup(engine, entry);
  CaptureSink sink;
  RunOutcome outcome = setup.execute(sink);
  INFO(outcome.error.dump() << sink.err_text);
  CHECK(outcome.status == RunStatus::crashed);
  CHECK(outcome.exit_code == 137);
  CHECK(outcome.signal == 9);
  CHECK(outcome.facts["container"]["security"]["memory_bytes"] == 16 * 1024 * 1024);
  if (engine.name == "docker" || outcome.facts["container"]["oom_killed"] == true) {
    CHECK(outcome.facts["container"]["oom_killed"] == true);
    CHECK(outcome.error["type"] == "mdivicom.OutOfMemory");
  } else {
    // Podman 4.3 on cgroups v1 reports no OOM kill (neither inspect nor events): only the
    // SIGKILL is known, and the message names the memory limit as the likely cause.
    CHECK(outcome.error["type"] == "mdivicom.Crash");
    std::string message = outcome.error["message"];
    CHECK(message.find("may have been one: the memory limit is 16 MiB") != std::string::npos);
  }
}
ENGINE_TEST_CASE("a container over its memory limit is killed and recorded as crashed", "[container]", out_of_memory)

} // namespace

namespace {

void image_user(const TestEngine& engine)
{
  nlohmann::json entry = {{"argv", {"sh", "-c", "id -u"}}, {"user", "image"}};
  RunSetup setup(engine, entry);
  CaptureSink sink;
  RunOutcome outcome = setup.execute(sink);
  CHECK(outcome.status == RunStatus::succeeded);
  CHECK(sink.out_text == "0\n"); // the test image has no USER: root inside, still without capabilities
  CHECK(outcome.facts["container"]["user"]["mode"] == "image");
}
ENGINE_TEST_CASE("user image keeps the image's own user", "[container]", image_user)

} // namespace
