// The snapshot the hostile corpus compares: every kind of change a plugin could make outside its
// outputs shows as a difference, and only the paths that changed are named.

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"
#include "support/tree_snapshot.hpp"

#include <fstream>
#include <functional>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

using namespace mdivicom::test;
namespace fs = std::filesystem;

namespace {

struct Tree
{
  TempDir root;
  SnapshotOptions options;

  Tree()
  {
    write_file(root / "data/a.txt", "abc");
    write_file(root / "home/.ssh/id_rsa", "key");
    write_file(root / "out/run/result.txt", "r");
    fs::create_symlink("data/a.txt", root / "link");
    const timespec old_atime[2] = {{1, 0}, {0, UTIME_OMIT}};
    REQUIRE(::utimensat(AT_FDCWD, (root / "home/.ssh/id_rsa").c_str(), old_atime, 0) == 0);
    options.skipped = {"out/run"};
    options.contents_only = {"out"};
    options.with_atime = {"home"};
  }

  std::string change(const std::function<void(const fs::path&)>& action)
  {
    TreeSnapshot before = snapshot_tree(root.path(), options);
    action(root.path());
    return snapshot_difference(before, snapshot_tree(root.path(), options));
  }
};

} // namespace

TEST_CASE("a tree snapshot names each changed path and nothing else", "[cli][hostile]")
{
  Tree tree;
  const fs::path a = tree.root / "data/a.txt";
  CHECK(tree.change([](const fs::path&) {}) == "");
  CHECK_THAT(tree.change([&](const fs::path&) { fs::permissions(a, fs::perms::owner_all); }),
             Catch::StartsWith("changed: data/a.txt\n"));
  CHECK_THAT(tree.change([&](const fs::path&) { REQUIRE(::chown(a.c_str(), 1, 1) == 0); }),
             Catch::StartsWith("changed: data/a.txt\n"));
  CHECK_THAT(tree.change([&](const fs::path&) { REQUIRE(::setxattr(a.c_str(), "user.x", "1", 1, 0) == 0); }),
             Catch::StartsWith("changed: data/a.txt\n"));
  CHECK_THAT(tree.change([&](const fs::path&) { REQUIRE(::setxattr(a.c_str(), "user.x", "2", 1, 0) == 0); }),
             Catch::StartsWith("changed: data/a.txt\n"));
  CHECK_THAT(tree.change([&](const fs::path& root) {
    const timespec times[2] = {{12345, 0}, {12345, 0}};
    REQUIRE(::utimensat(AT_FDCWD, (root / "data").c_str(), times, 0) == 0);
  }),
             Catch::StartsWith("changed: data\n"));
  CHECK_THAT(tree.change([&](const fs::path& root) {
    fs::remove(root / "link");
    fs::create_symlink("data/other", root / "link");
  }),
             Catch::Contains("changed: link\n"));
  CHECK_THAT(tree.change([&](const fs::path&) { REQUIRE(::mkfifo((tree.root / "data/p").c_str(), 0600) == 0); }),
             Catch::Contains("added: data/p (fifo"));
}

TEST_CASE("a tree snapshot sees a same-size rewrite that keeps the times", "[cli][hostile]")
{
  Tree tree;
  const fs::path a = tree.root / "data/a.txt";
  struct stat info = {};
  REQUIRE(::stat(a.c_str(), &info) == 0);
  std::string difference = tree.change([&](const fs::path&) {
    write_file(a, "xyz");
    const timespec times[2] = {info.st_atim, info.st_mtim};
    REQUIRE(::utimensat(AT_FDCWD, a.c_str(), times, 0) == 0);
  });
  CHECK_THAT(difference, Catch::StartsWith("changed: data/a.txt\n"));
  CHECK_THAT(difference, Catch::Contains("sha256"));
}

TEST_CASE("a tree snapshot sees a read below with_atime but not what is skipped", "[cli][hostile]")
{
  Tree tree;
  CHECK(tree.change([](const fs::path& root) { write_file(root / "out/run/new.txt", "n"); }) == "");
  CHECK(tree.change([](const fs::path& root) { REQUIRE(::chmod((root / "out").c_str(), 0755) == 0); }) == "");
  CHECK_THAT(tree.change([](const fs::path& root) { write_file(root / "out/evil.txt", "e"); }),
             Catch::StartsWith("added: out/evil.txt"));
  CHECK_THAT(tree.change([](const fs::path& root) { read_file(root / "home/.ssh/id_rsa"); }),
             Catch::StartsWith("changed: home/.ssh/id_rsa\n"));
}
