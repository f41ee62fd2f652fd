#include <catch2/catch.hpp>

#include "core/run/scratch_dir.hpp"
#include "support/child.hpp"
#include "support/temp_dir.hpp"

#include <algorithm>
#include <optional>

namespace fs = std::filesystem;
using mdivicom::gc_scratch_dirs;
using mdivicom::ScratchDir;
using mdivicom::test::Child;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;

namespace {

const std::string k_live_run = "20261204T100000Z_0000aaaa";
const std::string k_killed_run = "20261204T100001Z_0000bbbb";

bool contains(const std::vector<std::string>& names, const std::string& prefix)
{
  return std::any_of(names.begin(), names.end(), [&](const std::string& name) { return name.starts_with(prefix); });
}

} // namespace

TEST_CASE("a scratch dir goes with everything in it, and only once", "[core][scratch]")
{
  TempDir parent;
  ScratchDir scratch(parent.path(), k_live_run);
  const fs::path path = scratch.path();
  CHECK(path.parent_path() == parent.path());
  CHECK(path.filename().string().starts_with("mdivicom-" + k_live_run + "-"));
  write_file(path / "tmp" / "left.txt", "by the plugin");
  scratch.remove();
  CHECK_FALSE(fs::exists(path));
  scratch.remove(); // and again from the destructor: nothing to do, nothing thrown
}

TEST_CASE("gc removes the scratch dir of a killed runner and never one in use", "[core][scratch]")
{
  TempDir parent;
  ScratchDir live(parent.path(), k_live_run);
  write_file(live.path() / "work" / "busy.bin", std::string(1000, 'x'));

  Child runner([&] {
    static std::optional<ScratchDir> scratch; // never destroyed: the child is killed
    scratch.emplace(parent.path(), k_killed_run);
    write_file(scratch->path() / "tmp" / "partial.bin", std::string(5000, 'y'));
    return scratch->path().string();
  });
  const fs::path killed = runner.result();
  REQUIRE(fs::exists(killed / "tmp" / "partial.bin"));

  // While its runner lives, nothing is taken.
  auto alive = gc_scratch_dirs(parent.path(), false);
  CHECK(alive.removed.empty());
  CHECK(alive.errors.empty());

  runner.kill(); // SIGKILL: no destructor, no cleanup
  REQUIRE(fs::exists(killed));
  auto listed = gc_scratch_dirs(parent.path(), true);
  CHECK(listed.removed == std::vector<std::string>{killed.filename().string()});
  CHECK(listed.to_json().contains("found"));
  CHECK(fs::exists(killed));

  auto removed = gc_scratch_dirs(parent.path(), false);
  CHECK(removed.removed == std::vector<std::string>{killed.filename().string()});
  CHECK(removed.removed_bytes >= 5000);
  CHECK(removed.errors.empty());
  CHECK_FALSE(fs::exists(killed));
  CHECK(fs::exists(live.path() / "work" / "busy.bin")); // the live run's dir is untouched
}

TEST_CASE("gc leaves alone what is not a killed runner's scratch dir", "[core][scratch]")
{
  TempDir parent;
  TempDir elsewhere;
  // Made by an older mdivicom (no lock): kept and reported, for the user to decide.
  const std::string old_name = "mdivicom-" + k_killed_run + "-abc123";
  fs::create_directories(parent / old_name / "tmp");
  // A link named like a scratch dir, to a directory with a lock nobody holds: not followed.
  write_file(elsewhere / "precious.txt", "keep me");
  write_file(elsewhere / ".runner.lock", "");
  fs::create_directory_symlink(elsewhere.path(), parent / ("mdivicom-" + k_live_run + "-link00"));
  // Names that are not a run's.
  fs::create_directories(parent / "mdivicom-notarun-xyz123");
  write_file(parent / ("mdivicom-" + k_live_run + "-file00"), "a file");

  auto report = gc_scratch_dirs(parent.path(), false);
  CHECK(report.removed.empty());
  CHECK(report.errors.empty());
  CHECK(report.kept_unlocked == std::vector<std::string>{old_name});
  CHECK(fs::exists(parent / old_name / "tmp"));
  CHECK(fs::exists(elsewhere / "precious.txt"));
  CHECK(fs::is_symlink(parent / ("mdivicom-" + k_live_run + "-link00")));
  CHECK(fs::exists(parent / "mdivicom-notarun-xyz123"));
  CHECK_FALSE(contains(report.removed, "mdivicom-"));

  // A parent that does not exist is nothing to clean, not an error.
  CHECK(gc_scratch_dirs(parent / "missing", false).errors.empty());
}
