#include <catch2/catch.hpp>

#include "core/util/file_identity.hpp"
#include "support/temp_dir.hpp"

#include <fcntl.h>

using namespace mdivicom;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;

namespace fs = std::filesystem;

TEST_CASE("file_identity_at follows links and fails on missing files", "[core][cache]")
{
  TempDir dir;
  write_file(dir / "a.json", "{}");
  fs::create_symlink("a.json", dir / "link.json");
  auto file = file_identity_at(AT_FDCWD, (dir / "a.json").c_str());
  auto link = file_identity_at(AT_FDCWD, (dir / "link.json").c_str());
  REQUIRE(file);
  REQUIRE(link);
  CHECK(*file == *link);
  CHECK_FALSE(file_identity_at(AT_FDCWD, (dir / "missing.json").c_str()));
}

TEST_CASE("a file is settled only once both its mtime and its ctime are past the racy window", "[core][cache]")
{
  const int64_t now = int64_t{1'700'000'000} * 1'000'000'000;
  const int64_t old = now - k_racy_window_ns - 1;
  CHECK(is_settled({1, 2, 3, old, old}, now));
  CHECK_FALSE(is_settled({1, 2, 3, now - k_racy_window_ns, old}, now));
  CHECK_FALSE(is_settled({1, 2, 3, old, now - 1}, now)); // chmod or rename into place moves only ctime
}
