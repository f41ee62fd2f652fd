// entry.resources.gpus, shm_size and tmp_size: in the create body (--plan), in a real container,
// and a GPU request refused clearly by an engine without a GPU runtime. Also the runs that exit 4
// because the engine or the image failed, not the plugin.
#include "container/cli_setup.hpp"
#include "container/support.hpp"

#include "lanes/container/container.hpp"
#include "lanes/container/plan.hpp"

namespace fs = std::filesystem;
using namespace mdivicom;
using namespace mdivicom::test;

namespace {

nlohmann::json create_body(const nlohmann::json& entry)
{
  TempDir nowhere;
  TestEngine absent{"docker", (nowhere / "no-engine.sock").string()};
  RunSetup setup(absent, entry);
  auto plan = container::make_container_lane()->describe(setup.request());
  for (const auto& request : plan["requests"]) {
    if (request["path"].get<std::string>().find("/containers/create") != std::string::npos) {
      return request["body"];
    }
  }
  FAIL("no create request in " << plan.dump(2));
  return nullptr;
}

Result<container::ContainerEntry> parsed(const nlohmann::json& resources)
{
  TempDir nowhere;
  TestEngine absent{"docker", (nowhere / "no-engine.sock").string()};
  RunSetup setup(absent, {{"argv", {"true"}}, {"resources", resources}});
  return container::ContainerEntry::parse(setup.request().plugin);
}

} // namespace

TEST_CASE("gpus, shm_size and tmp_size become DeviceRequests, ShmSize and the size of the tmpfs /tmp",
          "[container][unit]")
{
  const nlohmann::json plain = create_body({{"argv", {"true"}}})["HostConfig"];
  CHECK(plain["Tmpfs"]["/tmp"] == "rw,nosuid,nodev,size=1g,mode=1777");
  CHECK_FALSE(plain.contains("ShmSize"));
  CHECK_FALSE(plain.contains("DeviceRequests"));

  const nlohmann::json all =
      create_body({{"argv", {"true"}}, {"resources", {{"gpus", "all"}, {"shm_size", "256m"}, {"tmp_size", "2g"}}}});
  INFO(all.dump(2));
  const nlohmann::json& host = all["HostConfig"];
  CHECK(host["ShmSize"] == 256LL << 20);
  CHECK(host["Tmpfs"]["/tmp"] == "rw,nosuid,nodev,size=2g,mode=1777");
  CHECK(host["DeviceRequests"] == nlohmann::json::parse(
                                      R"([{"Driver": "", "Count": -1, "DeviceIDs": null, "Capabilities": [["gpu"]],
                                           "Options": {}}])"));

  const nlohmann::json two = create_body({{"argv", {"true"}}, {"resources", {{"gpus", 2}, {"tmp_size", 1536 << 10}}}});
  CHECK(two["HostConfig"]["DeviceRequests"][0]["Count"] == 2);
  CHECK(two["HostConfig"]["DeviceRequests"][0]["DeviceIDs"].is_null());
  CHECK(two["HostConfig"]["Tmpfs"]["/tmp"] == "rw,nosuid,nodev,size=1536k,mode=1777");

  const nlohmann::json named = create_body({{"argv", {"true"}}, {"resources", {{"gpus", {"0", "GPU-3a4b"}}}}});
  CHECK(named["HostConfig"]["DeviceRequests"][0]["Count"] == 0);
  CHECK(named["HostConfig"]["DeviceRequests"][0]["DeviceIDs"] == nlohmann::json{"0", "GPU-3a4b"});
}

TEST_CASE("a container entry's gpus, shm_size or tmp_size that cannot be used is refused with its place",
          "[container][unit]")
{
  for (const nlohmann::json& gpus : {nlohmann::json(0), nlohmann::json("some"), nlohmann::json::array(),
                                     nlohmann::json({""}), nlohmann::json(1.5)}) {
    INFO(gpus.dump());
    auto entry = parsed({{"gpus", gpus}});
    REQUIRE_FALSE(entry.ok());
    CHECK_THAT(entry.error(), Catch::Contains("/entry/resources/gpus: expected \"all\", a number of GPUs"));
  }
  for (const char* name : {"shm_size", "tmp_size"}) {
    for (const nlohmann::json& size : {nlohmann::json("0"), nlohmann::json("512k"), nlohmann::json("1t"),
                                       nlohmann::json(-1), nlohmann::json(true)}) {
      INFO(name << " " << size.dump());
      auto entry = parsed({{name, size}});
      REQUIRE_FALSE(entry.ok());
      CHECK_THAT(entry.error(), Catch::Contains(std::string("/entry/resources/") + name +
                                                ": expected bytes or a size like 512m (at least 1m)"));
    }
  }
  auto fine = parsed({{"gpus", 1}, {"shm_size", "1m"}, {"tmp_size", 1 << 20}});
  REQUIRE(fine.ok());
  CHECK(fine->resources.shm_bytes == 1 << 20);
}

TEST_CASE("mdivicom run --plan shows the GPU request, the shm size and the /tmp size", "[container][cli]")
{
  CliSetup setup("true", {{"resources", {{"gpus", "all"}, {"shm_size", "1g"}, {"tmp_size", "128m"}}}});
  auto result = setup.run(test_engine("docker"), {"--plan"});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("\"DeviceRequests\"") && Catch::Contains("\"gpu\"") &&
                             Catch::Contains("\"ShmSize\": 1073741824") &&
                             Catch::Contains("rw,nosuid,nodev,size=128m,mode=1777"));
}

void shm_and_tmp_sizes_apply(const TestEngine& engine)
{
  CliSetup setup("df -k /dev/shm /tmp", {{"resources", {{"shm_size", "96m"}, {"tmp_size", "48m"}}}});
  auto result = setup.run(engine);
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  // busybox df -k: "Filesystem 1K-blocks Used Available Use% Mounted on"
  CHECK_THAT(result.out, Catch::Matches("(.|\n)* 98304 (.|\n)*/dev/shm(.|\n)*"));
  CHECK_THAT(result.out, Catch::Matches("(.|\n)* 49152 (.|\n)*/tmp(.|\n)*"));
  const nlohmann::json record = setup.record();
  CHECK(record["container"]["security"]["shm_size_bytes"] == 96 << 20);
  CHECK(record["container"]["security"]["tmpfs"]["/tmp"] == "rw,nosuid,nodev,size=48m,mode=1777");
}
ENGINE_TEST_CASE("shm_size and tmp_size size the container's /dev/shm and /tmp", "[container][cli]",
                 shm_and_tmp_sizes_apply)

void gpus_without_runtime_fail_clearly(const TestEngine& engine)
{
  CliSetup setup("echo should-not-run", {{"resources", {{"gpus", "all"}}}});
  auto result = setup.run(engine);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 4); // the engine lacks what the plugin needs: not the plugin's failure
  CHECK(result.out.find("should-not-run") == std::string::npos);
  CHECK_THAT(result.err, Catch::Contains("the engine " + engine.name + " ") && Catch::Contains("has no GPU runtime") &&
                             Catch::Contains("or run the plugin without entry.resources.gpus"));
  if (engine.name == "docker") {
    CHECK_THAT(result.err, Catch::Contains("(nvidia-container-toolkit)") &&
                               Catch::Contains("nvidia-ctk runtime configure --runtime=docker"));
  } else {
    CHECK_THAT(result.err, Catch::Contains("Podman before 5.4 ignores GPU requests"));
  }
  const nlohmann::json record = setup.record();
  CHECK(record["status"] == "failed");
  CHECK(record["error"]["type"] == "mdivicom.StartError");
  CHECK_THAT(record["error"]["message"].get<std::string>(), Catch::Contains("has no GPU runtime"));
}
ENGINE_TEST_CASE("a run asking for GPUs on an engine without a GPU runtime fails naming the runtime, exit 4",
                 "[container][cli]", gpus_without_runtime_fail_clearly)

TEST_CASE("a container run whose engine socket has no engine exits 4 with a record", "[container][cli]")
{
  CliSetup setup("echo should-not-run");
  TestEngine absent{"docker", (setup.temp / "nothing-listens.sock").string()};
  auto result = setup.run(absent);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 4);
  const nlohmann::json record = setup.record();
  CHECK(record["status"] == "failed");
  CHECK(record["error"]["type"] == "mdivicom.EngineUnavailable");
}

void pull_failure_exits_4(const TestEngine& engine)
{
  // Port 9 (discard) on loopback: nothing answers, so the pull fails at once.
  CliSetup setup("echo should-not-run", {{"image", "127.0.0.1:9/mdivicom-test/nowhere:1"}});
  auto result = setup.run(engine, {"--pull", "always"});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 4);
  const nlohmann::json record = setup.record();
  CHECK(record["status"] == "failed");
  CHECK(record["error"]["type"] == "mdivicom.ImageError");
}
ENGINE_TEST_CASE("a container run whose image cannot be pulled from its registry exits 4 with a record",
                 "[container][cli]", pull_failure_exits_4)
