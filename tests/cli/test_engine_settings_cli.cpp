// Engine settings mdivicom cannot use (tcp://, ssh://) are refused with the fix, never passed
// over for another engine. No engine is needed: nothing gets as far as a socket.

#include <catch2/catch.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

using mdivicom::test::CommandOptions;
using mdivicom::test::CommandResult;
using mdivicom::test::run_mdivicom;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;
using nlohmann::json;

namespace fs = std::filesystem;

namespace {

// A container plugin "box", a Python plugin "snake" and a dataset; no engine settings inherited.
struct Workspace
{
  TempDir root;
  fs::path dataset = root / "dataset";
  fs::path out = root / "out";
  CommandOptions options;

  Workspace()
  {
    json box = {{"meta",
                 {{"api_version", "mdivicomtools.plugin.v0.1"},
                  {"id", "box"},
                  {"kind", "container"},
                  {"version", "1.0.0"},
                  {"description", "a container plugin"}}},
                {"entry", {{"image", "busybox:1.36"}, {"argv", {"true"}}}}};
    json snake = {{"meta",
                   {{"api_version", "mdivicomtools.plugin.v0.1"},
                    {"id", "snake"},
                    {"kind", "python"},
                    {"version", "1.0.0"},
                    {"description", "a Python plugin"}}},
                  {"entry", {{"callable", "snake_mod:run"}}}};
    write_file(root / "manifests" / "box.json", box.dump());
    write_file(root / "manifests" / "snake.json", snake.dump());
    write_file(dataset / "sessions" / "ses-01" / "raw" / "gaze" / "g.csv", "t,x\n0,1\n");
    options.env = {{"MDIVICOM_PLUGIN_PATH", (root / "manifests").string()},
                   {"XDG_DATA_HOME", (root / "xdg").string()},
                   {"XDG_CACHE_HOME", (root / "cache").string()},
                   {"MDIVICOM_DEV_PLUGIN_ROOTS", mdivicom::test::k_unset},
                   {"DOCKER_HOST", mdivicom::test::k_unset},
                   {"CONTAINER_HOST", mdivicom::test::k_unset}};
  }

  CommandResult run(const std::string& plugin, std::vector<std::string> extra = {}) const
  {
    std::vector<std::string> args = {"run", plugin, "--dataset", dataset.string(), "--out", out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_mdivicom(args, options);
  }
};

void check_refused(const CommandResult& result, const std::string& setting, const std::string& fix)
{
  INFO(result.err);
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("mdivicom: error: " + setting + " is not a unix socket"));
  CHECK_THAT(result.err, Catch::Contains(fix));
}

} // namespace

TEST_CASE("a DOCKER_HOST, CONTAINER_HOST or --engine that is not a unix socket is a usage error for a container run",
          "[cli][run][engine]")
{
  Workspace ws;
  SECTION("DOCKER_HOST=tcp://")
  {
    ws.options.env["DOCKER_HOST"] = "tcp://127.0.0.1:1";
    check_refused(ws.run("box"), "DOCKER_HOST=tcp://127.0.0.1:1",
                  "unset DOCKER_HOST (the usual sockets are tried then) or point it at a unix socket, e.g. "
                  "DOCKER_HOST=unix:///run/docker.sock");
    check_refused(ws.run("box", {"--backend", "docker"}), "DOCKER_HOST=tcp://127.0.0.1:1", "unset DOCKER_HOST");
    check_refused(ws.run("box", {"--plan"}), "DOCKER_HOST=tcp://127.0.0.1:1", "unset DOCKER_HOST");
    CHECK_FALSE(fs::exists(ws.out)); // refused before the run made anything
    // Podman runs do not read DOCKER_HOST, and Python runs read neither.
    CHECK(ws.run("box", {"--backend", "podman", "--plan"}).exit_code == 0);
    CHECK(ws.run("snake", {"--plan"}).exit_code == 0);
  }
  SECTION("CONTAINER_HOST=ssh://")
  {
    ws.options.env["CONTAINER_HOST"] = "ssh://lab@server/run/podman/podman.sock";
    check_refused(ws.run("box", {"--backend", "podman"}), "CONTAINER_HOST=ssh://lab@server/run/podman/podman.sock",
                  "unset CONTAINER_HOST (the usual sockets are tried then) or point it at a unix socket, e.g. "
                  "CONTAINER_HOST=unix:///run/podman/podman.sock");
    check_refused(ws.run("box"), "CONTAINER_HOST=ssh://lab@server/run/podman/podman.sock", "unset CONTAINER_HOST");
    CHECK(ws.run("box", {"--backend", "docker", "--plan"}).exit_code == 0);
  }
  SECTION("--engine tcp://, which also wins over a good DOCKER_HOST")
  {
    ws.options.env["DOCKER_HOST"] = "unix:///run/docker.sock";
    check_refused(ws.run("box", {"--engine", "tcp://127.0.0.1:1"}), "--engine=tcp://127.0.0.1:1",
                  "leave --engine out or give a unix socket, e.g. --engine unix:///run/docker.sock");
  }
  SECTION("a unix socket given as unix:///path or as a path is accepted")
  {
    ws.options.env["DOCKER_HOST"] = "unix:///nowhere/docker.sock";
    ws.options.env["CONTAINER_HOST"] = "/nowhere/podman.sock";
    CommandResult planned = ws.run("box", {"--plan"});
    INFO(planned.err);
    REQUIRE(planned.exit_code == 0);
    json candidates = json::parse(planned.out)["lane"]["engine_candidates"];
    CHECK(candidates[0] == json({{"socket", "/nowhere/docker.sock"}, {"source", "DOCKER_HOST"}}));
    CHECK(candidates[1] == json({{"socket", "/nowhere/podman.sock"}, {"source", "CONTAINER_HOST"}}));
  }
}

TEST_CASE("doctor names a DOCKER_HOST that is not a unix socket and how to fix it", "[cli][doctor][engine]")
{
  Workspace ws;
  ws.options.env["DOCKER_HOST"] = "tcp://127.0.0.1:1";
  CommandResult text = run_mdivicom({"doctor"}, ws.options);
  INFO(text.out << text.err);
  CHECK_THAT(text.out, Catch::Contains("DOCKER_HOST=tcp://127.0.0.1:1 is not a unix socket"));
  CHECK_THAT(text.out, Catch::Contains("fix: unset DOCKER_HOST (the usual sockets are tried then) or point it at a "
                                       "unix socket, e.g. DOCKER_HOST=unix:///run/docker.sock"));

  CommandResult as_json = run_mdivicom({"doctor", "--json"}, ws.options);
  INFO(as_json.err);
  json report = json::parse(as_json.out);
  const json& lane = report["container_lane"];
  CHECK(lane["reachable"] == 0);
  REQUIRE(lane["engines"].size() == 1); // no other socket was tried in its place
  CHECK(lane["engines"][0]["reachable"] == false);
  CHECK_THAT(lane["engines"][0]["error"].get<std::string>(), Catch::StartsWith("DOCKER_HOST=tcp://127.0.0.1:1 "));
  CHECK_THAT(lane["engines"][0]["fix"].get<std::string>(), Catch::StartsWith("unset DOCKER_HOST"));
  // Exit 0 or 1 as always: whether some lane can run (the Python lane still may).
  CHECK(as_json.exit_code == (report["ok"].get<bool>() ? 0 : 1));
}

TEST_CASE("gc refuses a DOCKER_HOST that is not a unix socket before it removes anything", "[cli][gc][engine]")
{
  Workspace ws;
  ws.options.env["DOCKER_HOST"] = "tcp://127.0.0.1:1";
  CommandResult result = run_mdivicom({"gc", "--dry-run"}, ws.options);
  INFO(result.err);
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("DOCKER_HOST=tcp://127.0.0.1:1 is not a unix socket"));
}
