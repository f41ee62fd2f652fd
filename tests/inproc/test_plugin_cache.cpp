#include <catch2/catch.hpp>

#include "core/util/file_identity.hpp"
#include "lanes/inproc/discovery/plugin_cache.hpp"
#include "support/temp_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>

using namespace mdivicom;
using namespace mdivicom::inproc;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;
namespace fs = std::filesystem;

namespace {

constexpr int64_t k_hour_ns = int64_t{3600} * 1'000'000'000;

// Rewrites `path` with `content` and puts its mtime back, as a file system whose timestamps
// tick coarsely shows a second write within one tick.
void rewrite_in_same_tick(const fs::path& path, const std::string& content)
{
  struct stat before = {};
  REQUIRE(::stat(path.c_str(), &before) == 0);
  write_file(path, content);
  const struct timespec times[2] = {before.st_atim, before.st_mtim};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

// A cache file written by one PluginCache and read by the next, as two listings do.
std::optional<nlohmann::json> stored_then_looked_up(const fs::path& cache_file, const fs::path& module, int64_t now_ns)
{
  {
    PluginCache cache(cache_file, now_ns);
    cache.store("key", stamp_files({module}), {{"id", "counted"}});
    cache.save();
  }
  return PluginCache(cache_file, now_ns).lookup("key");
}

} // namespace

TEST_CASE("a plugin file rewritten within the same mtime tick with the same size is noticed", "[inproc][cache]")
{
  TempDir dir;
  const fs::path module = dir / "counted_mod.py";
  const fs::path cache_file = dir / "python-plugins.json";
  write_file(module, "VERSION = '1.0'\n");

  SECTION("settled files are trusted until their identity moves: ctime does when mtime and size do not")
  {
    const int64_t later = wall_clock_ns() + k_hour_ns; // every file settled
    REQUIRE(stored_then_looked_up(cache_file, module, later));
    rewrite_in_same_tick(module, "VERSION = '2.0'\n");
    CHECK_FALSE(PluginCache(cache_file, later).lookup("key"));
  }
  SECTION("a file that changed just before it was read is not cached at all (ctime could stay in its tick too)")
  {
    CHECK_FALSE(stored_then_looked_up(cache_file, module, wall_clock_ns()));
    rewrite_in_same_tick(module, "VERSION = '2.0'\n");
    CHECK_FALSE(PluginCache(cache_file, wall_clock_ns() + k_hour_ns).lookup("key"));
  }
}

TEST_CASE("plugin stamps are file identities, and a missing file is stamped as missing", "[inproc][cache]")
{
  TempDir dir;
  write_file(dir / "a.py", "x = 1\n");
  const auto stamps = stamp_files({dir / "a.py", dir / "gone.py"});
  const auto identity = file_identity_at(AT_FDCWD, (dir / "a.py").c_str());
  REQUIRE(identity);
  CHECK(stamps[0] == nlohmann::json{(dir / "a.py").string(), identity->device, identity->inode, identity->size,
                                    identity->mtime_ns, identity->ctime_ns});
  CHECK(stamps[1] == nlohmann::json{(dir / "gone.py").string(), nullptr});
  CHECK(stamps_current(stamps));
  write_file(dir / "gone.py", "");
  CHECK_FALSE(stamps_current(stamps));
}
