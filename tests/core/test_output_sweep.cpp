// What a plugin leaves in a writable dir, swept once it has ended (output_sweep.hpp).
#include "container/support.hpp"

#include "core/run/output_sweep.hpp"

#include <set>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace mdivicom;
using namespace mdivicom::test;

namespace {

mode_t mode_of(const fs::path& path)
{
  struct stat info = {};
  REQUIRE(lstat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

std::set<std::string> paths_of(const nlohmann::json& list)
{
  std::set<std::string> paths;
  for (const auto& item : list) {
    paths.insert(item["path"].get<std::string>());
  }
  return paths;
}

} // namespace

TEST_CASE("the sweep takes setuid and setgid bits off files and removes device nodes, FIFOs and sockets",
          "[container][unit]")
{
  TempDir temp;
  const fs::path out = temp / "out";
  fs::create_directories(out / "deep" / "er");
  write_file(out / "suid", "#!/bin/sh\n");
  REQUIRE(chmod((out / "suid").c_str(), 04755) == 0);
  write_file(out / "deep" / "er" / "sgid", "x");
  REQUIRE(chmod((out / "deep" / "er" / "sgid").c_str(), 02711) == 0);
  write_file(out / "plain", "x");
  REQUIRE(chmod((out / "plain").c_str(), 0640) == 0);
  REQUIRE(chmod((out / "deep").c_str(), 02775) == 0); // a share's group-inheriting directory: kept
  REQUIRE(mkfifo((out / "deep" / "fifo").c_str(), 0600) == 0);
  REQUIRE(mknod((out / "deep" / "er" / "disk").c_str(), S_IFBLK | 0600, makedev(7, 0)) == 0); // as root
  // A link to a setuid file outside the outputs: neither followed nor changed.
  write_file(temp / "outside", "x");
  REQUIRE(chmod((temp / "outside").c_str(), 04755) == 0);
  fs::create_symlink(temp / "outside", out / "link");

  nlohmann::json report = sweep_writable(out);
  INFO(report.dump(2));
  CHECK(mode_of(out / "suid") == 0755);
  CHECK(mode_of(out / "deep" / "er" / "sgid") == 0711);
  CHECK(mode_of(out / "plain") == 0640);
  CHECK(mode_of(out / "deep") == 02775);
  CHECK(mode_of(temp / "outside") == 04755);
  CHECK_FALSE(fs::exists(fs::symlink_status(out / "deep" / "fifo")));
  CHECK_FALSE(fs::exists(fs::symlink_status(out / "deep" / "er" / "disk")));
  CHECK(fs::is_symlink(out / "link"));
  CHECK(paths_of(report["stripped"]) ==
        std::set<std::string>{(out / "suid").string(), (out / "deep" / "er" / "sgid").string()});
  CHECK(paths_of(report["removed"]) ==
        std::set<std::string>{(out / "deep" / "fifo").string(), (out / "deep" / "er" / "disk").string()});
  CHECK(report["stripped_count"] == 2);
  CHECK(report["removed_count"] == 2);
  CHECK(report["failed_count"] == 0);
  CHECK(report["restricted_to_owner"] == false);
  for (const auto& item : report["stripped"]) {
    if (item["path"] == (out / "suid").string()) {
      CHECK(item["mode_before"] == "4755");
      CHECK(item["mode_after"] == "0755");
    }
  }
  for (const auto& item : report["removed"]) {
    CHECK(item["type"] == (item["path"] == (out / "deep" / "fifo").string() ? "FIFO" : "block device"));
  }
}

TEST_CASE("a missing directory sweeps to an empty report, a tree of clean files to one too", "[container][unit]")
{
  TempDir temp;
  nlohmann::json missing = sweep_writable(temp / "absent");
  CHECK(missing["stripped"].empty());
  CHECK(missing["failed_count"] == 0);
  fs::create_directories(temp / "out" / "a");
  write_file(temp / "out" / "a" / "f", "x");
  nlohmann::json clean = sweep_writable(temp / "out");
  CHECK(clean["stripped_count"] == 0);
  CHECK(clean["removed_count"] == 0);
  CHECK(clean["failed_count"] == 0);
  // A root that is a link (as a --work given through one) is swept where it points.
  REQUIRE(chmod((temp / "out" / "a" / "f").c_str(), 04755) == 0);
  fs::create_directory_symlink(temp / "out", temp / "out-link");
  nlohmann::json linked = sweep_writable(temp / "out-link");
  CHECK(linked["stripped_count"] == 1);
  CHECK(mode_of(temp / "out" / "a" / "f") == 0755);
}

TEST_CASE("a sweep that cannot check everything reports it and keeps the tree from other users", "[container][unit]")
{
  TempDir temp;
  const fs::path out = temp / "out";
  fs::create_directories(out);
  // Deeper than the open-file limit allows one stream per level: the sweep cannot reach the end.
  rlimit saved = {};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
  fs::path deep = out;
  for (int i = 0; i < 80; ++i) {
    deep /= "d";
  }
  fs::create_directories(deep);
  write_file(deep / "suid", "x");
  REQUIRE(chmod((deep / "suid").c_str(), 04755) == 0);
  REQUIRE(chmod(out.c_str(), 0755) == 0);
  rlimit low = saved;
  low.rlim_cur = 64;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
  nlohmann::json report = sweep_writable(out);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
  INFO(report.dump(2));
  CHECK(report["failed_count"].get<int>() >= 1);
  CHECK(report["restricted_to_owner"] == true);
  CHECK(mode_of(out) == 0700);
}
