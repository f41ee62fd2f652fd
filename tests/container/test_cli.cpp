// The container lane through the real binary: mdivicom run / doctor / gc.
#include "container/cli_setup.hpp"
#include "container/support.hpp"

#include <csignal>

#include "lanes/container/engine/engine.hpp"
#include "lanes/container/image/image.hpp"
#include "support/process.hpp"
#include "support/record_schema.hpp"

namespace fs = std::filesystem;
using namespace mdivicom;
using namespace mdivicom::test;

namespace {

void run_is_recorded(const TestEngine& engine)
{
  CliSetup setup("echo hello; ls {dataset_dir}; echo made > {out_dir}/made.txt");
  auto result = setup.run(engine);
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("hello\na.txt\n") != std::string::npos);
  auto record = setup.record();
  CHECK(record["status"] == "succeeded");
  CHECK(record["backend"] == engine.name);
  CHECK(record["exit_code"] == 0);
  CHECK(record["container"]["engine"]["socket"] == engine.socket);
  CHECK(record["container"]["image"]["ref"] == k_test_image);
  CHECK(record["container"]["image"]["id"].get<std::string>().rfind("sha256:", 0) == 0);
  CHECK(record["container"]["removed"] == true);
  std::string run_id = record["run_id"];
  CHECK(read_file(setup.out / "_runs" / (run_id + ".log")).find("hello\na.txt\n") != std::string::npos);
  CHECK(read_file(setup.out / "ctr-cli" / "made.txt") == "made\n");
  // The plugin wrote no provenance.json: the runner's facts are left there instead.
  auto provenance = nlohmann::json::parse(read_file(setup.out / "ctr-cli" / "provenance.json"));
  CHECK(provenance["container"]["image"]["id"] == record["container"]["image"]["id"]);
}
ENGINE_TEST_CASE("mdivicom run records a container run with engine, image identity and log", "[container][cli]",
                 run_is_recorded)

void failures_are_recorded(const TestEngine& engine)
{
  CliSetup failing("echo bad >&2; exit 4");
  auto result = failing.run(engine);
  CHECK(result.exit_code == 1);
  auto record = failing.record();
  CHECK(record["status"] == "failed");
  CHECK(record["exit_code"] == 4);

  CliSetup slow("sleep 60");
  result = slow.run(engine, {"--timeout", "1"});
  CHECK(result.exit_code == 1);
  CHECK(slow.record()["status"] == "timeout");
  CHECK(slow.record()["error"]["type"] == "mdivicom.Timeout");

  CliSetup interrupted("sleep 60");
  CommandOptions options;
  options.interrupt_after_s = 3;
  result = interrupted.run(engine, {}, options);
  CHECK(result.exit_code == 130);
  auto cancelled = interrupted.record();
  CHECK(cancelled["status"] == "cancelled");
  CHECK(cancelled["container"]["removed"] == true);
}
ENGINE_TEST_CASE("mdivicom run records failed, timed-out and interrupted container runs", "[container][cli]",
                 failures_are_recorded)

// The first record in `runs_dir`.
nlohmann::json only_record(const fs::path& runs_dir)
{
  for (const auto& file : fs::directory_iterator(runs_dir)) {
    if (file.path().extension() == ".json") {
      return nlohmann::json::parse(read_file(file.path()));
    }
  }
  FAIL("no run record in " << runs_dir);
  return nullptr;
}

void timeouts_are_named_alike(const TestEngine& engine)
{
  CliSetup container_plugin("sleep 60");
  CHECK(container_plugin.run(engine, {"--timeout", "1"}).exit_code == 1);
  const nlohmann::json container_record = container_plugin.record();

  TempDir python_dir;
  write_file(python_dir / "site" / "sleepy_mod.py", "import time\ndef run(**kwargs):\n    time.sleep(60)\n");
  nlohmann::json meta = {{"api_version", "mdivicomtools.plugin.v0.1"},
                         {"id", "sleepy"},
                         {"kind", "python"},
                         {"version", "1.0.0"},
                         {"description", "sleeps past its timeout"}};
  write_file(python_dir / "manifests" / "sleepy.json",
             nlohmann::json({{"meta", meta}, {"entry", {{"callable", "sleepy_mod:run"}}}}).dump());
  fs::create_directories(python_dir / "dataset");
  CommandOptions options = isolated_options(python_dir);
  options.env["MDIVICOM_PLUGIN_PATH"] = (python_dir / "manifests").string();
  options.env["PYTHONPATH"] = (python_dir / "site").string();
  CommandResult python_run = run_mdivicom({"run", "sleepy", "--dataset", (python_dir / "dataset").string(), "--out",
                                           (python_dir / "out").string(), "--timeout", "1"},
                                          options);
  INFO(python_run.err);
  CHECK(python_run.exit_code == 1);
  const nlohmann::json python_record = only_record(python_dir / "out" / "_runs");
  check_record_schema(python_record);

  CHECK(container_record["status"] == "timeout");
  CHECK(python_record["status"] == "timeout");
  CHECK(container_record["error"]["type"] == python_record["error"]["type"]);
  CHECK(python_record["error"]["type"] == "mdivicom.Timeout");
}
ENGINE_TEST_CASE("a timeout is recorded with the same error.type by the container lane and the Python lane",
                 "[container][cli]", timeouts_are_named_alike)

TEST_CASE("mdivicom run --plan prints the engine requests and runs nothing", "[container][cli]")
{
  CliSetup setup("echo should-not-run");
  auto result = setup.run(test_engine("docker"), {"--plan"});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("/v1.41/containers/create?name=mdivicom-") != std::string::npos);
  CHECK(result.out.find("should-not-run") != std::string::npos); // in the create body's Cmd
  CHECK_FALSE(fs::exists(setup.out / "ctr-cli" / "provenance.json"));
}

TEST_CASE("mdivicom doctor lists reachable engines with versions and fixes for the others", "[container][cli]")
{
  auto docker = test_engine("docker");
  CommandOptions options;
  options.env["DOCKER_HOST"] = docker.engine_option();
  options.env["CONTAINER_HOST"] = "unix:///nonexistent/podman.sock";
  auto result = run_mdivicom({"doctor", "--json"}, options);
  INFO(result.out << result.err);
  auto report = nlohmann::json::parse(result.out);
  bool found = false;
  bool fix = false;
  for (const auto& engine : report["container_lane"]["engines"]) {
    if (engine["socket"] == docker.socket) {
      found =
          engine["reachable"] == true && engine["name"] == "docker" && !engine["version"].get<std::string>().empty();
    }
    if (engine["socket"] == "/nonexistent/podman.sock") {
      fix = engine["reachable"] == false &&
            engine["fix"].get<std::string>().find("podman system service") != std::string::npos;
    }
  }
  CHECK(found);
  CHECK(fix);
  CHECK(result.exit_code == (report["ok"].get<bool>() ? 0 : 1));

  auto text = run_mdivicom({"doctor", "--engine", test_engine("podman").engine_option()});
  CHECK(text.out.find("ok     podman 4.") != std::string::npos);
}

// [serial]: every run reaps a killed runner's container first, so a run of another test in
// parallel would remove the container this test is about (tests/CMakeLists.txt).
TEST_CASE("mdivicom gc removes the container and scratch dir of a runner that was killed", "[container][cli][serial]")
{
  auto engine = test_engine("docker");
  CliSetup setup("sleep 300");
  TempDir scratch_parent; // the killed runner's scratch dir lands here, not in the machine's /tmp
  CommandOptions options;
  options.interrupt_after_s = 3;
  options.interrupt_signal = SIGKILL;
  options.env["TMPDIR"] = scratch_parent.path().string();
  auto killed = setup.run(engine, {}, options);
  CHECK(killed.signal == SIGKILL);
  std::string run_id = setup.record()["run_id"];
  auto handle = engine.connect();
  REQUIRE(containers_of_run(handle, run_id).size() == 1);

  // gc also cleans the dataset cache: point it at an empty one, never the user's own.
  TempDir cache;
  CommandOptions gc_options;
  gc_options.env["XDG_CACHE_HOME"] = cache.path().string();
  gc_options.env["TMPDIR"] = scratch_parent.path().string();
  const std::string scratch = (scratch_parent / ("mdivicom-" + run_id + "-")).string();
  auto listed = run_mdivicom({"gc", "--engine", engine.engine_option(), "--dry-run"}, gc_options);
  CHECK(listed.exit_code == 0);
  CHECK(listed.out.find("would remove mdivicom-" + run_id) != std::string::npos);
  CHECK(listed.out.find("would remove " + scratch) != std::string::npos);
  CHECK_FALSE(fs::is_empty(scratch_parent.path()));
  auto removed = run_mdivicom({"gc", "--engine", engine.engine_option()}, gc_options);
  INFO(removed.out << removed.err);
  CHECK(removed.exit_code == 0);
  CHECK(removed.out.find("removed mdivicom-" + run_id) != std::string::npos);
  CHECK(removed.out.find("removed " + scratch) != std::string::npos);
  CHECK(containers_of_run(handle, run_id).empty());
  CHECK(fs::is_empty(scratch_parent.path()));
}

} // namespace

namespace {

void example_plugin_runs(const TestEngine& engine)
{
  TempDir temp;
  fs::path example = fs::path(MDIVICOM_SOURCE_DIR) / "examples" / "container" / "stream-summary";
  fs::create_directories(temp / "plugin" / "build");
  fs::copy_file(example / "stream-summary.json", temp / "plugin" / "stream-summary.json");
  auto built =
      run_command({(example / "build.sh").string(), (temp / "plugin" / "build" / "stream-summary.tar").string()});
  REQUIRE(built.exit_code == 0);
  // A fresh engine state for the image, so that this run loads the archive.
  auto handle = engine.connect();
  handle.call("DELETE", container::Engine::api("/images/mdivicom-examples/stream-summary:0.1.0?force=1"));

  CommandOptions options;
  options.env["MDIVICOM_PLUGIN_PATH"] = (temp / "plugin").string();
  auto result =
      run_mdivicom({"run", "stream-summary", "--dataset", std::string(MDIVICOM_SOURCE_DIR) + "/examples/dataset",
                    "--out", (temp / "out").string(), "--engine", engine.engine_option()},
                   options);
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  std::string summary = read_file(temp / "out" / "stream-summary" / "summary.tsv");
  CHECK(summary.rfind("session\ttype\tstream\tdata_file\tbytes\trows", 0) == 0);
  CHECK(summary.find("ses-01\tgaze\tstr-eye01\tstr-eye01_gaze.csv\t") != std::string::npos);
  CHECK(summary.find("ses-01\timu\tstr-imu01\t") != std::string::npos);
  auto bundle = nlohmann::json::parse(read_file(temp / "out" / "stream-summary" / "resultbundle.json"));
  CHECK(bundle["resultbundle_type"] == "mdivicom.stream_summary");
}
ENGINE_TEST_CASE("the example container plugin builds its image and summarizes the example dataset",
                 "[container][cli][example]", example_plugin_runs)

// The built-in manifests/stream-summary.json names an image built on this machine: listed
// without it, refused at run time with how to get it (never pulled), run once it is loaded.
void builtin_example_needs_its_image(const TestEngine& engine)
{
  TempDir temp;
  const std::string image = "mdivicom-examples/stream-summary:0.1.0";
  auto handle = engine.connect();
  handle.call("DELETE", container::Engine::api("/images/" + image + "?force=1"));
  CommandOptions options = isolated_options(temp); // the built-in manifests only
  CHECK_THAT(run_mdivicom({"plugins", "list"}, options).out,
             Catch::Contains("mdivicom-examples/stream-summary\tcontainer\t0.1.0\n"));

  const std::vector<std::string> run = {
      "run",        "stream-summary",        "--dataset", std::string(MDIVICOM_SOURCE_DIR) + "/examples/dataset",
      "--out",      (temp / "out").string(), "--engine",  engine.engine_option(),
      "--overwrite"};
  auto missing = run_mdivicom(run, options);
  INFO(missing.out << missing.err);
  CHECK(missing.exit_code == 4); // the image is missing: not the plugin's failure
  fs::path archive = fs::path(MDIVICOM_SOURCE_DIR) / "manifests" / "stream-summary.tar";
  CHECK_THAT(missing.err, Catch::Contains("image " + image + " is not present in " + engine.name + " at " +
                                          engine.socket + ", and its image_archive " + archive.string() +
                                          " does not exist; load the image ('" + engine.name + " load -i <archive>')"));
  CHECK_THAT(missing.err, !Catch::Contains("pull"));

  auto built = run_command({(fs::path(MDIVICOM_SOURCE_DIR) / "examples/container/stream-summary/build.sh").string(),
                            (temp / "stream-summary.tar").string()});
  REQUIRE(built.exit_code == 0);
  REQUIRE(container::load_archive(handle, temp / "stream-summary.tar").ok());
  auto loaded = run_mdivicom(run, options);
  INFO(loaded.out << loaded.err);
  CHECK(loaded.exit_code == 0);
  CHECK(fs::is_regular_file(temp / "out" / "stream-summary" / "summary.tsv"));
}
// [serial]: the example test above removes and loads the same image.
ENGINE_TEST_CASE("the built-in stream-summary manifest lists without its image, says how to get it and runs once it "
                 "is loaded",
                 "[container][cli][example][serial]", builtin_example_needs_its_image)

} // namespace

void resources_are_recorded(const TestEngine& engine)
{
  // dd's 50 MiB block stays resident while its write into the pipe waits for `sleep`: the
  // engine's stats sample it (about once a second) before the container exits.
  CliSetup setup("i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; dd if=/dev/zero bs=50M count=1 2>/dev/null | "
                 "sleep 3; true");
  auto result = setup.run(engine);
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  auto record = setup.record();
  const nlohmann::json& resources = record["resources"];
  INFO(resources.dump());
  CHECK(resources["source"] == "engine_stats");
  CHECK(resources["samples"].get<int>() >= 1);
  CHECK(resources["peak_memory_bytes"].get<int64_t>() >= int64_t{50} << 20);
  CHECK(resources["peak_memory_bytes"].get<int64_t>() < int64_t{1} << 30);
  CHECK(resources["cpu_s"].get<double>() > 0.05);
}
ENGINE_TEST_CASE("a container run records its CPU time and peak memory from the engine's stats", "[container][cli]",
                 resources_are_recorded)
