// `mdivicom gc` through the real binary: the dataset cache part, with no container engine
// reachable (the container part with real engines is in tests/container/test_cli.cpp).

#include <catch2/catch.hpp>

#include "core/archive/archive.hpp"
#include "core/run/scratch_dir.hpp"
#include "support/child.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <optional>

#include <fcntl.h>
#include <sys/stat.h>

using mdivicom::test::CommandOptions;
using mdivicom::test::read_file;
using mdivicom::test::run_mdivicom;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;

namespace fs = std::filesystem;

namespace {

const fs::path k_examples = fs::path(MDIVICOM_SOURCE_DIR) / "examples";

// Own cache, no plugins but the example, and no engine named by the environment.
CommandOptions isolated(const TempDir& dir)
{
  CommandOptions options;
  options.env = {{"MDIVICOM_PLUGIN_PATH", (dir / "no-manifests").string()},
                 {"MDIVICOM_DEV_PLUGIN_ROOTS", (k_examples / "python" / "mdivicom-stream-inventory").string()},
                 {"XDG_DATA_HOME", (dir / "xdg-data").string()},
                 {"XDG_CACHE_HOME", (dir / "xdg-cache").string()},
                 {"XDG_RUNTIME_DIR", (dir / "xdg-runtime").string()},
                 {"DOCKER_HOST", mdivicom::test::k_unset},
                 {"CONTAINER_HOST", mdivicom::test::k_unset},
                 {"VIRTUAL_ENV", mdivicom::test::k_unset},
                 {"MDIVICOM_PYTHON_ENV", mdivicom::test::k_unset},
                 {"PYTHONPATH", mdivicom::test::k_unset},
                 {"PYTHONDONTWRITEBYTECODE", "1"}};
  return options;
}

fs::path archive_of_example_dataset(const TempDir& dir)
{
  fs::path file = dir / "session.tar.gz";
  mdivicom::ArchiveWriter writer(file, mdivicom::ArchiveFormat::tar_gz);
  for (const auto& entry : fs::recursive_directory_iterator(k_examples / "dataset")) {
    std::string name = entry.path().lexically_relative(k_examples / "dataset").generic_string();
    if (entry.is_directory()) {
      writer.add_directory(name, 0755, 0);
    } else {
      std::string data = read_file(entry.path());
      writer.begin_file(name, data.size(), 0644, 0);
      writer.write_data(data.data(), data.size());
    }
  }
  writer.finish();
  return file;
}

void set_age_days(const fs::path& path, int days)
{
  const time_t when = ::time(nullptr) - static_cast<time_t>(days) * 24 * 3600;
  const timespec times[2] = {{when, 0}, {when, 0}};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

bool default_engine_sockets_exist()
{
  return fs::exists("/var/run/docker.sock") || fs::exists("/run/podman/podman.sock");
}

} // namespace

TEST_CASE("gc removes the dataset a run extracted once it is unused for --older-than days, and not before", "[cli][gc]")
{
  TempDir dir;
  CommandOptions options = isolated(dir);
  auto run = run_mdivicom({"run", "stream-inventory", "-q", "--dataset", archive_of_example_dataset(dir).string(),
                           "--out", (dir / "out").string()},
                          options);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const fs::path datasets = dir / "xdg-cache/mdivicom/datasets";
  std::string sha256;
  for (const auto& entry : fs::directory_iterator(datasets)) {
    if (entry.is_directory()) {
      sha256 = entry.path().filename().string();
    }
  }
  REQUIRE(sha256.size() == 64);
  REQUIRE(fs::exists(datasets / (sha256 + ".used")));

  // Just used: kept by default (30 days) and by a dry run of --older-than 0.
  auto kept = run_mdivicom({"gc", "--json"}, options);
  INFO(kept.out << kept.err);
  CHECK(kept.exit_code == 0);
  auto report = nlohmann::json::parse(kept.out);
  CHECK(report["dataset_cache"]["removed"].empty());
  REQUIRE(report["dataset_cache"]["kept"].size() == 1);
  CHECK(report["dataset_cache"]["kept"][0]["name"] == sha256);
  CHECK(report["dataset_cache"]["older_than_days"] == 30);

  auto dry = run_mdivicom({"gc", "--older-than", "0", "--dry-run"}, options);
  CHECK(dry.exit_code == 0);
  CHECK(dry.out.find("would remove " + (datasets / sha256).string() + " (unused for ") != std::string::npos);
  CHECK(fs::is_directory(datasets / sha256));

  // Forty days later.
  set_age_days(datasets / sha256, 40);
  set_age_days(datasets / (sha256 + ".used"), 40);
  auto removed = run_mdivicom({"gc"}, options);
  INFO(removed.out << removed.err);
  CHECK(removed.exit_code == 0);
  CHECK(removed.out.find("removed " + (datasets / sha256).string() + " (unused for 40 days, ") != std::string::npos);
  CHECK(removed.out.find("dataset cache " + datasets.string() + ": freed ") != std::string::npos);
  if (!default_engine_sockets_exist()) {
    CHECK(removed.out.find("no container engine reachable: containers skipped") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(datasets / sha256));
  CHECK_FALSE(fs::exists(datasets / (sha256 + ".used")));
}

TEST_CASE("gc with an unreachable --engine still cleans the dataset cache, then exits 1", "[cli][gc]")
{
  TempDir dir;
  CommandOptions options = isolated(dir);
  const fs::path datasets = dir / "xdg-cache/mdivicom/datasets";
  const std::string sha256(64, 'c');
  write_file(datasets / sha256 / "data.csv", "t,x\n");
  set_age_days(datasets / sha256, 31);
  write_file(datasets / (".partial-" + sha256 + "-AbC123") / "half.csv", "t,");

  auto result = run_mdivicom({"gc", "--engine", "unix://" + (dir / "no-engine.sock").string(), "--json"}, options);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  auto report = nlohmann::json::parse(result.out);
  CHECK(report["containers_skipped"] == false);
  REQUIRE(report["engines"].size() == 1);
  CHECK(report["engines"][0]["errors"][0].get<std::string>().find("no-engine.sock") != std::string::npos);
  CHECK(report["dataset_cache"]["removed"].size() == 2);
  CHECK(report["dataset_cache"]["errors"].empty());
  CHECK(fs::is_empty(datasets));
}

TEST_CASE("gc refuses a negative or non-numeric --older-than as a usage error", "[cli][gc]")
{
  TempDir dir;
  for (std::string bad : {"-1", "soon"}) {
    auto result = run_mdivicom({"gc", "--older-than", bad}, isolated(dir));
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("--older-than") != std::string::npos);
  }
}

TEST_CASE("gc removes the scratch dir in TMPDIR of a runner that was killed, not one in use", "[cli][gc]")
{
  TempDir dir;
  TempDir tmp;
  CommandOptions options = isolated(dir);
  options.env["TMPDIR"] = tmp.path().string();
  mdivicom::ScratchDir live(tmp.path(), "20261204T100000Z_0000aaaa");
  mdivicom::test::Child runner([&] {
    static std::optional<mdivicom::ScratchDir> scratch; // never destroyed: the runner is killed
    scratch.emplace(tmp.path(), "20261204T100001Z_0000bbbb");
    write_file(scratch->path() / "tmp" / "partial.bin", std::string(3000, 'y'));
    return scratch->path().string();
  });
  const fs::path killed = runner.result();
  runner.kill();

  auto listed = run_mdivicom({"gc", "--dry-run", "--json"}, options);
  INFO(listed.out << listed.err);
  auto report = nlohmann::json::parse(listed.out)["scratch_dirs"];
  CHECK(report["dir"] == tmp.path().string());
  CHECK(report["found"] == nlohmann::json::array({killed.filename().string()}));
  CHECK(fs::exists(killed));

  auto removed = run_mdivicom({"gc"}, options);
  INFO(removed.out << removed.err);
  CHECK(removed.out.find("removed " + killed.string() + " (scratch dir of a run whose runner was killed)") !=
        std::string::npos);
  CHECK(removed.out.find("scratch dirs in " + tmp.path().string() + ": freed ") != std::string::npos);
  CHECK_FALSE(fs::exists(killed));
  CHECK(fs::exists(live.path()));
}
