#include <catch2/catch.hpp>

#include "core/archive/archive.hpp"
#include "core/dataset/archive.hpp"
#include "core/util/error.hpp"
#include "support/temp_dir.hpp"

#include <functional>

#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using mdivicom::ArchiveFormat;
using mdivicom::ArchiveWriter;
using mdivicom::EntryType;
using mdivicom::test::TempDir;

namespace {

void add_file(ArchiveWriter& writer, const std::string& path, const std::string& data)
{
  writer.begin_file(path, data.size(), 0644, 0);
  writer.write_data(data.data(), data.size());
}

fs::path make_archive(const TempDir& dir, const std::string& name, const std::function<void(ArchiveWriter&)>& fill)
{
  fs::path file = dir / name;
  auto format = mdivicom::archive_format_from_name(file);
  REQUIRE(format);
  ArchiveWriter writer(file, *format);
  fill(writer);
  writer.finish();
  return file;
}

// Extraction must fail with a usage error naming the entry, and leave no cache entry behind.
void expect_refused(const fs::path& archive, const std::string& entry, const std::string& reason,
                    const mdivicom::ExtractLimits& limits = {})
{
  TempDir cache;
  try {
    mdivicom::prepare_dataset(archive, cache.path(), limits);
    FAIL("extracted " << archive << " without complaint");
  } catch (const mdivicom::Error& e) {
    std::string message = e.what();
    INFO(message);
    CHECK(e.code() == mdivicom::ExitCode::usage);
    CHECK(message.find("\"" + entry + "\"") != std::string::npos);
    CHECK(message.find(reason) != std::string::npos);
  }
  std::error_code ignored;
  size_t left = 0;
  for (auto it = fs::directory_iterator(cache / "datasets", ignored); !ignored && it != fs::directory_iterator();
       ++it) {
    ++left;
  }
  CHECK(left == 0);
}

} // namespace

TEST_CASE("a dataset archive is extracted once, read-only, and reused", "[core][dataset_archive]")
{
  TempDir dir;
  TempDir cache;
  for (std::string name : {"ds.zip", "ds.tar", "ds.tar.gz", "ds.tgz", "ds.tar.zst"}) {
    INFO(name);
    const bool zip = name.ends_with(".zip"); // zip has no hard links
    fs::path archive = make_archive(dir, name, [&](ArchiveWriter& w) {
      w.add_directory("./", 0755, 0);
      w.add_directory("./sessions", 0755, 0);
      add_file(w, "./sessions/ses-1.csv", "t,x\n0,1\n");
      add_file(w, "name.txt", name); // distinct bytes, so a distinct cache entry per archive
      w.add_symlink("latest", "sessions/ses-1.csv", 0);
      if (!zip) {
        w.add_hardlink("sessions/copy.csv", "sessions/ses-1.csv", 0);
      }
    });
    fs::path first = mdivicom::prepare_dataset(archive, cache.path(), {});
    CHECK(first.parent_path() == cache / "datasets");
    CHECK(first.filename().string().size() == 64);
    CHECK(mdivicom::test::read_file(first / "sessions/ses-1.csv") == "t,x\n0,1\n");
    CHECK(mdivicom::test::read_file(first / "name.txt") == name);
    if (!zip) {
      CHECK(mdivicom::test::read_file(first / "sessions/copy.csv") == "t,x\n0,1\n");
    }
    CHECK(fs::read_symlink(first / "latest") == "sessions/ses-1.csv");
    struct stat info = {};
    REQUIRE(::stat((first / "sessions/ses-1.csv").c_str(), &info) == 0);
    CHECK((info.st_mode & 0222) == 0);
    REQUIRE(::stat(first.c_str(), &info) == 0);
    CHECK((info.st_mode & 0222) == 0);

    // Reuse: the extracted copy is returned as is, even if the cache copy was tampered with
    // (a marker proves no second extraction happened).
    ::chmod(first.c_str(), 0755);
    mdivicom::test::write_file(first / "marker", "");
    CHECK(mdivicom::prepare_dataset(archive, cache.path(), {}) == first);
    CHECK(fs::exists(first / "marker"));
  }
}

TEST_CASE("an archive holding one folder gives that folder as the dataset root", "[core][dataset_archive]")
{
  TempDir dir;
  TempDir cache;
  auto archive = make_archive(dir, "wrapped.tar.gz", [](ArchiveWriter& w) {
    w.add_directory("session-7", 0755, 0);
    add_file(w, "session-7/dataset_manifest.yaml", "name: s7\n");
    add_file(w, "session-7/sessions/ses-1/x.csv", "1\n");
  });
  fs::path root = mdivicom::prepare_dataset(archive, cache.path(), {});
  CHECK(root.filename() == "session-7");
  CHECK(fs::exists(root / "dataset_manifest.yaml"));
  CHECK(mdivicom::prepared_archive_sha256(root) == root.parent_path().filename().string());
  CHECK(mdivicom::prepare_dataset(archive, cache.path(), {}) == root);
  CHECK(mdivicom::prepared_archive_sha256(dir.path()).empty());
}

TEST_CASE("different archive bytes get different cache directories", "[core][dataset_archive]")
{
  TempDir dir;
  TempDir cache;
  auto a = make_archive(dir, "a.tar", [](ArchiveWriter& w) { add_file(w, "x", "1"); });
  auto b = make_archive(dir, "b.tar", [](ArchiveWriter& w) { add_file(w, "x", "2"); });
  CHECK(mdivicom::prepare_dataset(a, cache.path(), {}) != mdivicom::prepare_dataset(b, cache.path(), {}));
}

TEST_CASE("dataset archives with absolute paths or .. are refused", "[core][dataset_archive]")
{
  TempDir dir;
  expect_refused(make_archive(dir, "abs.tar.gz", [](ArchiveWriter& w) { add_file(w, "/etc/evil", "x"); }), "/etc/evil",
                 "absolute path");
  expect_refused(make_archive(dir, "dots.zip",
                              [](ArchiveWriter& w) {
                                add_file(w, "ok.txt", "fine");
                                add_file(w, "a/../../evil", "x");
                              }),
                 "a/../../evil", "\"..\"");
  expect_refused(make_archive(dir, "dots.tar", [](ArchiveWriter& w) { add_file(w, "../evil", "x"); }), "../evil",
                 "\"..\"");
}

TEST_CASE("dataset archives with links that escape are refused", "[core][dataset_archive]")
{
  TempDir dir;
  expect_refused(make_archive(dir, "sym.tar", [](ArchiveWriter& w) { w.add_symlink("passwd", "/etc/passwd", 0); }),
                 "passwd", "leaves the archive");
  expect_refused(make_archive(dir, "sym2.zip", [](ArchiveWriter& w) { w.add_symlink("a/up", "../../x", 0); }), "a/up",
                 "leaves the archive");
  expect_refused(make_archive(dir, "hard.tar", [](ArchiveWriter& w) { w.add_hardlink("shadow", "/etc/shadow", 0); }),
                 "shadow", "not an earlier file");
  expect_refused(make_archive(dir, "hard2.tar.zst", [](ArchiveWriter& w) { w.add_hardlink("h", "../outside", 0); }),
                 "h", "not an earlier file");
}

TEST_CASE("a dataset archive cannot write through a link it made", "[core][dataset_archive]")
{
  TempDir dir;
  // The link itself stays inside, but a later entry tries to use it as a directory.
  expect_refused(make_archive(dir, "through.tar",
                              [](ArchiveWriter& w) {
                                w.add_directory("real", 0755, 0);
                                w.add_symlink("alias", "real", 0);
                                add_file(w, "alias/file", "x");
                              }),
                 "alias/file", "goes through \"alias\"");
}

TEST_CASE("dataset archives with devices, fifos or duplicates are refused", "[core][dataset_archive]")
{
  TempDir dir;
  expect_refused(
      make_archive(dir, "dev.tar", [](ArchiveWriter& w) { w.add_special("null", EntryType::char_device, 0); }), "null",
      "char_device");
  expect_refused(make_archive(dir, "fifo.tar.gz", [](ArchiveWriter& w) { w.add_special("p", EntryType::fifo, 0); }),
                 "p", "fifo");
  expect_refused(make_archive(dir, "twice.tar",
                              [](ArchiveWriter& w) {
                                add_file(w, "x", "1");
                                add_file(w, "x", "2");
                              }),
                 "x", "appears twice");
}

TEST_CASE("zip bombs are refused by expansion ratio, total size and entry count", "[core][dataset_archive]")
{
  TempDir dir;
  // 101 MiB of zeros compresses about a thousandfold: over 200:1 once past 100 MiB.
  auto bomb = make_archive(dir, "bomb.tar.gz", [](ArchiveWriter& w) {
    const std::string chunk(1 << 20, '\0');
    w.begin_file("zeros.bin", 101ull << 20, 0644, 0);
    for (int i = 0; i < 101; ++i) {
      w.write_data(chunk.data(), chunk.size());
    }
  });
  expect_refused(bomb, "zeros.bin", "more than 200 times");

  auto big = make_archive(dir, "big.tar", [](ArchiveWriter& w) { add_file(w, "f", std::string(5000, 'x')); });
  mdivicom::ExtractLimits small_total;
  small_total.max_total_bytes = 4096;
  expect_refused(big, "f", "past the limit", small_total);

  auto many = make_archive(dir, "many.zip", [](ArchiveWriter& w) {
    for (int i = 0; i < 20; ++i) {
      add_file(w, "f" + std::to_string(i), "x");
    }
  });
  mdivicom::ExtractLimits few;
  few.max_entries = 10;
  expect_refused(many, "f10", "limit of 10 entries", few);
}

TEST_CASE("a damaged or unsupported dataset archive gets a clear error", "[core][dataset_archive]")
{
  TempDir dir;
  TempDir cache;
  mdivicom::test::write_file(dir / "junk.tar.gz", std::string("\x1f\x8b", 2) + "garbage that is not gzip data");
  CHECK_THROWS_WITH(mdivicom::prepare_dataset(dir / "junk.tar.gz", cache.path(), {}), Catch::Contains("junk.tar.gz"));
  mdivicom::test::write_file(dir / "data.rar", "x");
  CHECK_THROWS_WITH(mdivicom::prepare_dataset(dir / "data.rar", cache.path(), {}), Catch::Contains(".tar.zst"));
  CHECK_FALSE(mdivicom::is_dataset_archive(dir / "data.rar"));
  CHECK_FALSE(mdivicom::is_dataset_archive(dir / "missing.zip"));
}

TEST_CASE("a garbage or truncated dataset archive is bad input (exit 2), like a refused one", "[core][dataset_archive]")
{
  TempDir dir, cache;
  fs::path garbage = dir / "garbage.tar.gz";
  mdivicom::test::write_file(garbage, std::string(4096, '\x5a'));
  std::string content;
  for (int i = 0; i < 2000; ++i) {
    content += std::to_string(i * 7919) + "\n"; // compresses, but not to nothing
  }
  fs::path whole = make_archive(dir, "whole.tar.gz", [&](ArchiveWriter& w) { add_file(w, "data.txt", content); });
  std::string bytes = mdivicom::test::read_file(whole);
  fs::path truncated = dir / "truncated.tar.gz";
  mdivicom::test::write_file(truncated, bytes.substr(0, bytes.size() / 2));
  for (const auto& [archive, words] : {std::pair{garbage, std::string("Unrecognized archive format")},
                                       std::pair{truncated, std::string("truncated gzip input")}}) {
    INFO(archive);
    try {
      mdivicom::prepare_dataset(archive, cache.path(), {});
      FAIL("extracted " << archive << " without complaint");
    } catch (const mdivicom::Error& e) {
      CHECK(e.code() == mdivicom::ExitCode::usage);
      CHECK_THAT(e.what(), Catch::Contains(archive.string()) && Catch::Contains(words));
    }
  }
}
