// Pure logic of the lane: no engine needed.
#include "container/support.hpp"

#include "lanes/container/container.hpp"
#include "lanes/container/engine/demux.hpp"
#include "lanes/container/engine/engine.hpp"
#include "lanes/container/image/image.hpp"
#include "lanes/container/plan.hpp"
#include "lanes/container/runner.hpp"

using namespace mdivicom;
using namespace mdivicom::test;

TEST_CASE("the engine's multiplexed stream is split into stdout and stderr across any cut", "[container][unit]")
{
  std::string stream;
  auto frame = [&](char kind, const std::string& payload) {
    stream += std::string{kind, 0, 0, 0};
    uint32_t size = static_cast<uint32_t>(payload.size());
    stream += std::string{char(size >> 24), char((size >> 16) & 255), char((size >> 8) & 255), char(size & 255)};
    stream += payload;
  };
  frame(1, "hello ");
  frame(2, "warning\n");
  frame(1, std::string(70000, 'x'));
  frame(1, "world\n");
  for (size_t cut : {1UL, 3UL, 7UL, 8UL, 9UL, 1000UL}) {
    CaptureSink sink;
    container::FrameDemuxer demux(sink);
    for (size_t at = 0; at < stream.size(); at += cut) {
      demux.feed(std::string_view(stream).substr(at, cut));
    }
    CHECK(sink.out_text == "hello " + std::string(70000, 'x') + "world\n");
    CHECK(sink.err_text == "warning\n");
    CHECK(demux.pending() == 0);
  }
}

TEST_CASE("image references are taken apart into name, tag and pinned digest", "[container][unit]")
{
  auto ref = container::ImageRef::parse("127.0.0.1:5000/ns/tool:1.2");
  REQUIRE(ref.ok());
  CHECK(ref->name == "127.0.0.1:5000/ns/tool");
  CHECK(ref->tag == "1.2");
  CHECK_FALSE(ref->pinned());
  auto pinned = container::ImageRef::parse("registry:5000/tool@sha256:" + std::string(64, 'a'));
  REQUIRE(pinned.ok());
  CHECK(pinned->name == "registry:5000/tool");
  CHECK(pinned->tag.empty());
  CHECK(pinned->digest == "sha256:" + std::string(64, 'a'));
  CHECK_FALSE(container::ImageRef::parse("tool@sha256:abc").ok());
  CHECK_FALSE(container::ImageRef::parse("tool:").ok());
  CHECK_FALSE(container::ImageRef::parse("").ok());
}

TEST_CASE("argv placeholders become container paths and other braces stay", "[container][unit]")
{
  container::MountPaths paths;
  auto argv = container::expand_placeholders(
      {"tool", "--in={dataset_dir}", "{out_dir}/x", "{work_dir}", "{config_path}", "{dry_run}", "${HOME}", "{other}"},
      paths, true);
  CHECK(argv == std::vector<std::string>{"tool", "--in=/data", "/out/x", "/work", "/mdivicom/config.json", "1",
                                         "${HOME}", "{other}"});
}

TEST_CASE("memory sizes are read as bytes with k, m and g suffixes", "[container][unit]")
{
  CHECK(container::parse_memory("512m") == 512LL * 1024 * 1024);
  CHECK(container::parse_memory("2G") == 2LL * 1024 * 1024 * 1024);
  CHECK(container::parse_memory(1048576) == 1048576);
  CHECK_FALSE(container::parse_memory("lots"));
  CHECK_FALSE(container::parse_memory("-5m"));
}

TEST_CASE("progress streams of concatenated JSON documents are parsed with their errors", "[container][unit]")
{
  auto messages = container::parse_json_stream(
      "{\"status\":\"a {brace} \\\"q\\\"\"}\n{\"errorDetail\":{\"message\":\"boom\"},\"error\":\"boom\"}{\"x\":[1]}");
  REQUIRE(messages.size() == 3);
  CHECK(messages[0]["status"] == "a {brace} \"q\"");
  CHECK(container::stream_error(messages) == "boom");
}

TEST_CASE("describe shows the exact engine requests of a run without contacting an engine", "[container][unit]")
{
  TempDir nowhere;
  TestEngine absent{"podman", (nowhere / "no-engine.sock").string()};
  RunSetup setup(absent, {{"argv", {"tool", "{dataset_dir}"}}, {"resources", {{"memory", "256m"}, {"cpus", 1.5}}}});
  auto plan = container::make_container_lane()->describe(setup.request());
  INFO(plan.dump(2));
  REQUIRE(plan.contains("requests"));
  const auto& requests = plan["requests"];
  nlohmann::json create;
  std::string wait;
  for (const auto& request : requests) {
    std::string path = request["path"];
    if (path.find("/containers/create") != std::string::npos) {
      create = request["body"];
      CHECK(path == "/v1.41/containers/create?name=mdivicom-" + setup.request().run_id);
    }
    if (path.find("/wait") != std::string::npos) {
      wait = path;
    }
  }
  CHECK(wait.rfind("/v4.0.0/libpod/containers/{container_id}/wait", 0) == 0);
  CHECK(create["Image"] == "{image_id}");
  CHECK(create["Cmd"] == nlohmann::json{"tool", "/data"});
  const auto& host = create["HostConfig"];
  CHECK(host["NetworkMode"] == "none");
  CHECK(host["CapDrop"] == nlohmann::json{"ALL"});
  CHECK(host["SecurityOpt"] == nlohmann::json{"no-new-privileges"});
  CHECK(host["ReadonlyRootfs"] == true);
  CHECK(host["Init"] == true);
  CHECK(host["PidsLimit"] == 512);
  CHECK(host["Memory"] == 256LL * 1024 * 1024);
  CHECK(host["NanoCpus"] == 1500000000LL);
  CHECK(host["Tmpfs"].contains("/tmp"));
  CHECK(host["Mounts"].size() == 2); // dataset and config; on Podman out and work are Binds:
  CHECK(host["Binds"] == nlohmann::json{setup.out_dir().string() + ":/out:rw,nosuid,nodev",
                                        setup.request().work_dir.string() + ":/work:rw,nosuid,nodev"});
  CHECK(create["Labels"]["mdivicom.run_id"] == setup.request().run_id);
  CHECK(create["User"] == std::to_string(getuid()) + ":" + std::to_string(getgid()));
}

TEST_CASE("writable binds are nosuid,nodev Binds where the engine takes them, and Mounts where a path forbids it",
          "[container][unit]")
{
  TempDir nowhere;
  RunSetup setup(TestEngine{"docker", (nowhere / "no-engine.sock").string()}, {{"argv", {"true"}}});
  auto entry = container::ContainerEntry::parse(setup.request().plugin);
  REQUIRE(entry.ok());
  container::PlanInput input;
  input.image = "sha256:x";
  input.config_file = "/tmp/config.json";
  auto docker = container::plan_container(setup.request(), *entry, input);
  CHECK_FALSE(docker.create_body["HostConfig"].contains("Binds"));
  CHECK(docker.create_body["HostConfig"]["Mounts"].size() == 4);
  CHECK(docker.facts["mounts"][1]["nosuid_nodev"] == false);

  input.writable_nosuid_nodev = true;
  setup.request().work_dir = nowhere / "a:b"; // "src:dst:options" cannot carry it
  auto podman = container::plan_container(setup.request(), *entry, input);
  CHECK(podman.create_body["HostConfig"]["Binds"] ==
        nlohmann::json{setup.out_dir().string() + ":/out:rw,nosuid,nodev"});
  CHECK(podman.create_body["HostConfig"]["Mounts"].size() == 3);
  for (const auto& mount : podman.facts["mounts"]) {
    if (mount["role"] == "out" || mount["role"] == "work") {
      CHECK(mount["nosuid_nodev"] == (mount["role"] == "out"));
    }
  }
}

TEST_CASE("a container's runner is judged gone only when it certainly is", "[container][unit]")
{
  container::RunnerIdentity me = container::RunnerIdentity::self();
  REQUIRE_FALSE(me.pidns.empty());
  auto labels = [&](long pid, const std::string& pidns) {
    return nlohmann::json{{"mdivicom.runner.host", me.host},
                          {"mdivicom.runner.boot", me.boot},
                          {"mdivicom.runner.pid", std::to_string(pid)},
                          {"mdivicom.runner.start", me.start},
                          {"mdivicom.runner.pidns", pidns}};
  };
  // A pid no process has (above the kernel's pid_max).
  const long no_process = 1L << 23;
  CHECK(container::RunnerIdentity::from_labels(labels(no_process, me.pidns)).gone());
  CHECK_FALSE(container::RunnerIdentity::from_labels(labels(me.pid, me.pidns)).gone());
  // The same pid number in another PID namespace (a CI job sharing the engine) is not ours to judge,
  // nor is a container of an mdivicom that did not label its namespace.
  CHECK_FALSE(container::RunnerIdentity::from_labels(labels(no_process, "pid:[1]")).gone());
  CHECK_FALSE(container::RunnerIdentity::from_labels(labels(no_process, "")).gone());
}
