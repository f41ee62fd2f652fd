// No way from a container to the host: what binds show and what a container leaves behind, on
// the real engines.
#include "container/support.hpp"

#include <set>

#include <sys/stat.h>

#include "support/process.hpp"

namespace fs = std::filesystem;
using namespace mdivicom;
using namespace mdivicom::test;

namespace {

// `mdivicom run` of a container plugin with the given script, on a dataset, into an output root.
struct ExposureSetup
{
  TempDir temp;
  fs::path manifests = temp / "manifests";
  fs::path dataset = temp / "dataset";
  fs::path out = temp / "out";

  explicit ExposureSetup(const std::string& script)
  {
    fs::create_directories(manifests);
    fs::create_directories(dataset);
    write_file(dataset / "a.txt", "a\n");
    nlohmann::json manifest = {
        {"meta",
         {{"api_version", "mdivicomtools.plugin.v0.1"},
          {"id", "ctr-exposure"},
          {"kind", "container"},
          {"version", "0.1.0"},
          {"description", "host exposure test"}}},
        {"entry", {{"image", k_test_image}, {"user", "image"}, {"argv", {"sh", "-c", script}}}},
    };
    write_file(manifests / "ctr-exposure.json", manifest.dump());
  }

  CommandResult run(const TestEngine& engine, const std::vector<std::string>& extra = {})
  {
    std::vector<std::string> args = {"run",       "ctr-exposure", "--dataset", dataset.string(),
                                     "--out",     out.string(),   "--engine",  engine.engine_option(),
                                     "--backend", engine.name};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandOptions options;
    options.env["MDIVICOM_PLUGIN_PATH"] = manifests.string();
    return run_mdivicom(args, options);
  }

  bool has_record() const
  {
    std::error_code ec;
    for (const auto& file : fs::directory_iterator(out / "_runs", ec)) {
      if (file.path().extension() == ".json") {
        return true;
      }
    }
    return false;
  }
};

void socket_behind_link_is_refused(const TestEngine& engine)
{
  // The container would connect() to it through the read-only bind of the linked directory.
  ExposureSetup setup("echo RAN");
  fs::create_directories(setup.temp / "home" / ".gnupg");
  write_file(setup.temp / "home" / "notes.txt", "notes\n");
  const fs::path agent = fs::canonical(setup.temp / "home") / ".gnupg" / "S.gpg-agent";
  ListeningSocket listening(agent);
  fs::create_directory_symlink(setup.temp / "home", setup.dataset / "home");
  auto result = setup.run(engine);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("socket " + agent.string()) != std::string::npos);
  CHECK(result.err.find("remove it") != std::string::npos);
  CHECK(result.out.find("RAN") == std::string::npos);
  CHECK_FALSE(setup.has_record()); // refused before the run started

  // The engine's own socket, the way to root on the host, behind a link to its directory.
  fs::remove(setup.dataset / "home");
  fs::create_directory_symlink(fs::path(engine.socket).parent_path(), setup.dataset / "engine");
  auto engine_dir = setup.run(engine);
  INFO(engine_dir.out << engine_dir.err);
  CHECK(engine_dir.exit_code == 2);
  // The walk refuses the first thing it meets there (a socket, or a dangling link of the engine's).
  CHECK(engine_dir.err.find(fs::canonical(fs::path(engine.socket).parent_path()).string()) != std::string::npos);
  CHECK_FALSE(setup.has_record());
}
ENGINE_TEST_CASE("a dataset link to a directory holding a live unix socket is refused with exit 2, naming the socket",
                 "[container][cli]", socket_behind_link_is_refused)

void socket_in_work_dir_is_refused(const TestEngine& engine)
{
  ExposureSetup setup("echo RAN");
  fs::create_directories(setup.temp / "work");
  ListeningSocket listening(setup.temp / "work" / "left.sock");
  auto result = setup.run(engine, {"--work", (setup.temp / "work").string()});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("socket " + (setup.temp / "work" / "left.sock").string()) != std::string::npos);
  CHECK_FALSE(setup.has_record());
}
ENGINE_TEST_CASE("a socket left in the --work directory is refused with exit 2", "[container][cli]",
                 socket_in_work_dir_is_refused)

struct stat stat_of(const fs::path& path)
{
  struct stat info = {};
  REQUIRE(lstat(path.c_str(), &info) == 0);
  return info;
}

std::set<std::string> paths_of(const nlohmann::json& list)
{
  std::set<std::string> paths;
  for (const auto& item : list) {
    paths.insert(item["path"].get<std::string>());
  }
  return paths;
}

void root_container_leaves_no_setuid_or_device(const TestEngine& engine)
{
  // Root in the container (user: image) owns what it makes, so it may set the setuid bit
  // without any capability; mknod needs CAP_MKNOD, which the lock-down drops: tried anyway.
  RunSetup setup(engine, {{"user", "image"},
                          {"argv",
                           {"sh", "-c",
                            "id -u; echo '#!/bin/sh' > /out/rootshell && chmod 6755 /out/rootshell && "
                            "ls -ln /out/rootshell; "
                            "mknod /out/disk b 7 0 2>/dev/null && echo MKNOD-OK || echo MKNOD-REFUSED; "
                            "mkfifo /out/fifo && echo FIFO-OK; "
                            "mkdir -p /work/w && echo x > /work/w/s && chmod 4755 /work/w/s; true"}}});
  CaptureSink sink;
  RunOutcome outcome = setup.execute(sink);
  INFO(sink.out_text << sink.err_text << outcome.error.dump() << outcome.facts.dump(2));
  CHECK(outcome.status == RunStatus::succeeded);
  CHECK(sink.out_text.rfind("0\n", 0) == 0);
  CHECK(sink.out_text.find("-rwsr-sr-x") != std::string::npos); // the container did set the bits
  CHECK(sink.out_text.find("FIFO-OK") != std::string::npos);
  const fs::path rootshell = setup.out_dir() / "rootshell";
  const struct stat info = stat_of(rootshell);
  CHECK(info.st_uid == 0);
  CHECK((info.st_mode & 07777) == 0755);
  CHECK((stat_of(setup.request().work_dir / "w" / "s").st_mode & 07777) == 0755);
  CHECK_FALSE(fs::exists(fs::symlink_status(setup.out_dir() / "fifo")));
  CHECK_FALSE(fs::exists(fs::symlink_status(setup.out_dir() / "disk")));

  const nlohmann::json& sweep = outcome.facts["container"]["output_sweep"];
  CHECK(paths_of(sweep["out"]["stripped"]) == std::set<std::string>{rootshell.string()});
  CHECK(sweep["out"]["stripped"][0]["mode_before"] == "6755");
  CHECK(paths_of(sweep["work"]["stripped"]) == std::set<std::string>{(setup.request().work_dir / "w" / "s").string()});
  std::set<std::string> removed = {(setup.out_dir() / "fifo").string()};
  if (sink.out_text.find("MKNOD-OK") != std::string::npos) {
    removed.insert((setup.out_dir() / "disk").string()); // an engine that let it through
  }
  CHECK(paths_of(sweep["out"]["removed"]) == removed);
  CHECK(sink.out_text.find("MKNOD-REFUSED") != std::string::npos); // CapDrop ALL on both engines
}
ENGINE_TEST_CASE("a container running as root leaves no setuid file, FIFO or device node, and the record says so",
                 "[container]", root_container_leaves_no_setuid_or_device)

void record_lists_what_was_swept(const TestEngine& engine)
{
  ExposureSetup setup("echo x > {out_dir}/rootshell && chmod 4755 {out_dir}/rootshell && mkfifo {out_dir}/fifo");
  auto result = setup.run(engine);
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.err.find("setuid/setgid bits taken off") != std::string::npos);
  nlohmann::json record;
  for (const auto& file : fs::directory_iterator(setup.out / "_runs")) {
    if (file.path().extension() == ".json") {
      record = nlohmann::json::parse(read_file(file.path()));
    }
  }
  const fs::path outputs = setup.out / "ctr-exposure";
  const nlohmann::json& sweep = record["container"]["output_sweep"]["out"];
  CHECK(paths_of(sweep["stripped"]) == std::set<std::string>{(outputs / "rootshell").string()});
  CHECK(paths_of(sweep["removed"]) == std::set<std::string>{(outputs / "fifo").string()});
  // The inventory is taken after the sweep: verify agrees with what is on disk.
  auto verified = run_mdivicom({"verify", setup.out.string()});
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
}
ENGINE_TEST_CASE("mdivicom run records what the sweep of the outputs changed and verify agrees", "[container][cli]",
                 record_lists_what_was_swept)

void writable_binds_nosuid_where_possible(const TestEngine& engine)
{
  RunSetup setup(engine, {{"argv", {"sh", "-c", "grep -E ' /(out|work) ' /proc/mounts"}}});
  CaptureSink sink;
  RunOutcome outcome = setup.execute(sink);
  INFO(sink.out_text << sink.err_text << outcome.error.dump());
  CHECK(outcome.status == RunStatus::succeeded);
  int writable = 0;
  for (const auto& mount : outcome.facts["container"]["mounts"]) {
    if (mount["read_only"] == false) {
      ++writable;
      CHECK(mount["nosuid_nodev"] == (engine.name == "podman"));
    }
  }
  CHECK(writable == 2);
  // Docker has no way to ask for them (the sweep after the run is what keeps the bits off).
  for (const char* target : {" /out ", " /work "}) {
    const auto line = sink.out_text.find(target);
    REQUIRE(line != std::string::npos);
    const std::string options = sink.out_text.substr(line, sink.out_text.find('\n', line) - line);
    INFO(options);
    CHECK((options.find("nosuid") != std::string::npos) == (engine.name == "podman"));
    CHECK((options.find("nodev") != std::string::npos) == (engine.name == "podman"));
  }
}
ENGINE_TEST_CASE("the output and work binds are mounted nosuid,nodev on Podman, which takes those options",
                 "[container]", writable_binds_nosuid_where_possible)

} // namespace
