#include <catch2/catch.hpp>

#include "core/archive.hpp"
#include "core/error.hpp"
#include "core/pack.hpp"
#include "support/outputs_fixture.hpp"

#include <map>

#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;
using mdivicom::test::write_run_record;

namespace {

const std::string k_run = "20250101T000000Z_0000abcd";

void make_out(const fs::path& out)
{
  write_file(out / "tracker/table.csv", "a,b\n1,2\n");
  write_file(out / ("tracker/" + std::string(120, 'l') + "/deep name é.txt"), "long and non-ASCII");
  write_file(out / "tracker/bin/tool", "#!/bin/sh\n");
  fs::permissions(out / "tracker/bin/tool", fs::perms::owner_all);
  write_file(out / "tracker/private.txt", "only me");
  fs::permissions(out / "tracker/private.txt", fs::perms::owner_read | fs::perms::owner_write);
  fs::create_symlink("table.csv", out / "tracker/latest.csv");
  write_run_record(out, "tracker", k_run);
  write_file(out / "_runs" / (k_run + ".log"), "plugin said hello\n");
}

// Copies a tree with new mtimes (and, as root, another owner): only names and contents stay.
void copy_elsewhere(const fs::path& from, const fs::path& to)
{
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  for (const auto& entry : fs::recursive_directory_iterator(to)) {
    if (!entry.is_symlink()) {
      fs::last_write_time(entry.path(), fs::file_time_type::clock::now() - std::chrono::hours(1000));
    }
    if (::geteuid() == 0) {
      REQUIRE(::lchown(entry.path().c_str(), 4242, 4343) == 0);
    }
  }
}

std::map<std::string, uint32_t> modes_in(const fs::path& pack)
{
  std::map<std::string, uint32_t> modes;
  mdivicom::ArchiveReader reader(pack);
  while (auto header = reader.next()) {
    modes[header->path] = header->mode;
  }
  return modes;
}

} // namespace

TEST_CASE("two packs of the same outputs are equal byte for byte, wherever the files were", "[core][pack]")
{
  TempDir first;
  TempDir second;
  TempDir packs;
  make_out(first.path());
  copy_elsewhere(first.path(), second / "moved");

  for (std::string name : {"a.tar.gz", "a.tar.zst", "a.zip"}) {
    INFO(name);
    std::string other = "b" + name.substr(1);
    auto summary = mdivicom::pack_outputs(first.path(), packs / name);
    mdivicom::pack_outputs(second / "moved", packs / other);
    CHECK(summary.entries > 6);
    CHECK(mdivicom::test::read_file(packs / name) == mdivicom::test::read_file(packs / other));
  }
}

TEST_CASE("a pack holds records and outputs with normalized modes, in sorted order", "[core][pack]")
{
  TempDir out;
  TempDir packs;
  make_out(out.path());
  mdivicom::pack_outputs(out.path(), packs / "p.tar.gz");

  std::vector<std::string> order;
  mdivicom::ArchiveReader reader(packs / "p.tar.gz");
  while (auto header = reader.next()) {
    order.push_back(header->path);
  }
  CHECK(std::is_sorted(order.begin(), order.end()));
  auto modes = modes_in(packs / "p.tar.gz");
  CHECK(modes.at("_runs/" + k_run + ".json") == 0644);
  CHECK(modes.at("_runs/" + k_run + ".log") == 0644);
  CHECK(modes.at("tracker/bin/tool") == 0755);
  CHECK(modes.at("tracker/private.txt") == 0644);
  CHECK(modes.count("tracker/latest.csv") == 1);
  CHECK(modes["tracker/"] == 0755); // libarchive writes directory names with a slash
}

TEST_CASE("a pack says what it leaves out", "[core][pack]")
{
  TempDir out;
  TempDir packs;
  make_out(out.path());
  write_file(out / "scratch/notes.txt", "not from any run");
  REQUIRE(::mkfifo((out / "tracker/pipe").c_str(), 0644) == 0);
  auto summary = mdivicom::pack_outputs(out.path(), packs / "p.zip");
  REQUIRE(summary.not_packed.size() == 2);
  CHECK(summary.not_packed[0].find("scratch") != std::string::npos);
  CHECK(summary.not_packed[1].find("tracker/pipe") != std::string::npos);
  CHECK(modes_in(packs / "p.zip").count("scratch/notes.txt") == 0);
}

TEST_CASE("SOURCE_DATE_EPOCH changes the stored times, and nothing else does", "[core][pack]")
{
  TempDir out;
  TempDir packs;
  make_out(out.path());
  mdivicom::pack_outputs(out.path(), packs / "zero.tar.gz");
  ::setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
  mdivicom::pack_outputs(out.path(), packs / "dated.tar.gz");
  ::setenv("SOURCE_DATE_EPOCH", "yesterday", 1);
  CHECK_THROWS_WITH(mdivicom::pack_outputs(out.path(), packs / "bad.tar.gz"), Catch::Contains("SOURCE_DATE_EPOCH"));
  ::unsetenv("SOURCE_DATE_EPOCH");
  CHECK(mdivicom::test::read_file(packs / "zero.tar.gz") != mdivicom::test::read_file(packs / "dated.tar.gz"));
  CHECK_FALSE(fs::exists(packs / "bad.tar.gz"));
}

TEST_CASE("pack refuses unknown formats, destinations inside the outputs and directories without runs",
          "[core][pack]")
{
  TempDir out;
  TempDir packs;
  make_out(out.path());
  auto expect_usage = [](const fs::path& from, const fs::path& to, const std::string& words) {
    try {
      mdivicom::pack_outputs(from, to);
      FAIL("packed " << from << " into " << to);
    } catch (const mdivicom::Error& e) {
      CHECK(e.code() == mdivicom::ExitCode::usage);
      INFO(e.what());
      CHECK(std::string(e.what()).find(words) != std::string::npos);
    }
  };
  expect_usage(out.path(), packs / "p.rar", ".tar.gz (or .tgz), .tar.zst, .zip");
  expect_usage(out.path(), packs / "p.tar", ".tar.zst");
  expect_usage(out.path(), out / "tracker/p.zip", "inside the directory being packed");
  expect_usage(out.path(), out / "p.zip", "inside the directory being packed");
  TempDir empty;
  expect_usage(empty.path(), packs / "p.zip", "no run records");
  expect_usage(out / "missing", packs / "p.zip", "not a directory");
  CHECK(fs::is_empty(packs.path()));
}

TEST_CASE("a failed pack leaves no file behind", "[core][pack]")
{
  TempDir out;
  TempDir packs;
  make_out(out.path());
  CHECK_THROWS_WITH(mdivicom::pack_outputs(out.path(), packs / "no/such/dir/p.tar.gz"), Catch::Contains("p.tar.gz"));
  CHECK(fs::is_empty(packs.path()));
}
