#include <catch2/catch.hpp>

#include "core/archive/archive.hpp"
#include "core/dataset/archive_extract.hpp"
#include "core/util/error.hpp"
#include "core/records/pack.hpp"
#include "core/util/tree_walk.hpp"
#include "core/records/verify.hpp"
#include "support/outputs_fixture.hpp"
#include "support/process.hpp"

#include <chrono>
#include <map>

#include <fcntl.h>
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

TEST_CASE("pack refuses unknown formats, destinations inside the outputs and directories without runs", "[core][pack]")
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

namespace {

// Outputs where tracker/frames.bin and tracker/again/frames.bin are one file (and the tool
// has a second name too); contents hard to compress, so a second copy would show in the size.
void make_linked_out(const fs::path& out)
{
  make_out(out);
  std::string frames;
  uint32_t state = 12345;
  for (int i = 0; i < 256 * 1024; ++i) {
    state = state * 1103515245u + 12345u;
    frames += static_cast<char>(state >> 24);
  }
  write_file(out / "tracker/frames.bin", frames);
  fs::create_directories(out / "tracker/again");
  fs::create_hard_link(out / "tracker/frames.bin", out / "tracker/again/frames.bin");
  fs::create_hard_link(out / "tracker/bin/tool", out / "tracker/tool-alias");
  write_run_record(out, "tracker", k_run); // the inventory lists every name
}

std::map<std::string, mdivicom::ArchiveEntryHeader> headers_in(const fs::path& pack)
{
  std::map<std::string, mdivicom::ArchiveEntryHeader> headers;
  mdivicom::ArchiveReader reader(pack);
  while (auto header = reader.next()) {
    headers[header->path] = *header;
  }
  return headers;
}

} // namespace

TEST_CASE("names of one file are packed once, as hard links to the first name", "[core][pack]")
{
  TempDir linked;
  TempDir copied;
  TempDir packs;
  make_linked_out(linked.path());
  copy_elsewhere(linked.path(), copied / "out"); // fs::copy makes separate files of the links
  REQUIRE(fs::hard_link_count(copied / "out/tracker/frames.bin") == 1);

  for (std::string name : {"p.tar.gz", "p.tar.zst"}) {
    INFO(name);
    auto with_links = mdivicom::pack_outputs(linked.path(), packs / ("linked-" + name));
    auto without = mdivicom::pack_outputs(copied / "out", packs / ("copied-" + name));
    CHECK(with_links.hard_links == 2);
    CHECK(without.hard_links == 0);
    CHECK(with_links.entries == without.entries);
    CHECK(without.file_bytes - with_links.file_bytes == 256 * 1024 + 10);
    if (name == "p.tar.gz") { // zstd's window (megabytes) would itself find a second copy this close
      CHECK(fs::file_size(packs / ("linked-" + name)) + 200 * 1024 < fs::file_size(packs / ("copied-" + name)));
    }

    auto headers = headers_in(packs / ("linked-" + name));
    // The first name in path order holds the bytes.
    CHECK(headers.at("tracker/again/frames.bin").hardlink_target.empty());
    CHECK(headers.at("tracker/frames.bin").hardlink_target == "tracker/again/frames.bin");
    CHECK(headers.at("tracker/tool-alias").hardlink_target == "tracker/bin/tool");
    CHECK(headers.at("tracker/tool-alias").mode == 0755);
  }
  // Zip has no hard links: both trees give the same zip, every name in full.
  auto zipped = mdivicom::pack_outputs(linked.path(), packs / "linked.zip");
  mdivicom::pack_outputs(copied / "out", packs / "copied.zip");
  CHECK(zipped.hard_links == 0);
  CHECK(mdivicom::test::read_file(packs / "linked.zip") == mdivicom::test::read_file(packs / "copied.zip"));
}

TEST_CASE("two packs of outputs with the same hard links are equal byte for byte", "[core][pack]")
{
  TempDir first;
  TempDir second;
  TempDir packs;
  make_linked_out(first.path());
  make_linked_out(second.path()); // other inodes, other times, same names, contents and links
  // The record names its directory: the same record, as if the outputs had been moved.
  fs::copy_file(first / "_runs" / (k_run + ".json"), second / "_runs" / (k_run + ".json"),
                fs::copy_options::overwrite_existing);
  for (const auto& entry : fs::recursive_directory_iterator(second.path())) {
    if (!entry.is_symlink()) {
      fs::last_write_time(entry.path(), fs::file_time_type::clock::now() - std::chrono::hours(500));
    }
  }
  for (std::string name : {".tar.gz", ".tar.zst"}) {
    INFO(name);
    mdivicom::pack_outputs(first.path(), packs / ("a" + name));
    mdivicom::pack_outputs(second.path(), packs / ("b" + name));
    mdivicom::pack_outputs(first.path(), packs / ("c" + name));
    CHECK(mdivicom::test::read_file(packs / ("a" + name)) == mdivicom::test::read_file(packs / ("b" + name)));
    CHECK(mdivicom::test::read_file(packs / ("a" + name)) == mdivicom::test::read_file(packs / ("c" + name)));
  }
}

TEST_CASE("a pack with hard links verifies, and extracting it gives every name", "[core][pack][verify]")
{
  TempDir out;
  TempDir packs;
  make_linked_out(out.path());
  mdivicom::pack_outputs(out.path(), packs / "p.tar.gz");

  auto report = mdivicom::verify_outputs(packs / "p.tar.gz");
  INFO(report.to_text());
  CHECK(report.ok());
  REQUIRE(report.runs.size() == 1);
  CHECK(report.runs[0].state == "ok");

  // Our extraction (as for --dataset) and GNU tar both recreate the links.
  TempDir ours;
  mdivicom::extract_archive_safely(packs / "p.tar.gz", ours.path());
  TempDir theirs;
  auto tar = mdivicom::test::run_command({"tar", "-xzf", (packs / "p.tar.gz").string(), "-C", theirs.path().string()});
  REQUIRE(tar.exit_code == 0);
  for (const fs::path& root : {ours.path(), theirs.path()}) {
    INFO(root);
    const std::string frames = mdivicom::test::read_file(out / "tracker/frames.bin");
    CHECK(mdivicom::test::read_file(root / "tracker/frames.bin") == frames);
    CHECK(mdivicom::test::read_file(root / "tracker/again/frames.bin") == frames);
    CHECK(fs::equivalent(root / "tracker/frames.bin", root / "tracker/again/frames.bin"));
    CHECK(mdivicom::test::read_file(root / "tracker/tool-alias") == "#!/bin/sh\n");
    CHECK((fs::status(root / "tracker/tool-alias").permissions() & fs::perms::owner_exec) != fs::perms::none);
  }
  // The extracted tree verifies as a directory too.
  CHECK(mdivicom::verify_outputs(theirs.path()).ok());
}

TEST_CASE("verify reports a pack whose hard link names no earlier file", "[core][pack][verify]")
{
  TempDir out;
  TempDir packs;
  make_linked_out(out.path());
  mdivicom::pack_outputs(out.path(), packs / "good.tar.gz");
  // Copy the pack entry by entry, pointing one link at a name the pack does not hold.
  {
    mdivicom::ArchiveReader reader(packs / "good.tar.gz");
    mdivicom::ArchiveWriter writer(packs / "bad.tar.gz", mdivicom::ArchiveFormat::tar_gz);
    std::vector<char> buffer(1 << 16);
    while (auto header = reader.next()) {
      if (header->type == mdivicom::EntryType::directory) {
        writer.add_directory(header->path, header->mode, 0);
      } else if (header->type == mdivicom::EntryType::symlink) {
        writer.add_symlink(header->path, header->link_target, 0);
      } else if (!header->hardlink_target.empty()) {
        const bool broken = header->path == "tracker/frames.bin";
        writer.add_hardlink(header->path, broken ? "tracker/nothing.bin" : header->hardlink_target, 0);
      } else {
        writer.begin_file(header->path, header->size.value_or(0), header->mode, 0);
        for (size_t count; (count = reader.read(buffer.data(), buffer.size())) > 0;) {
          writer.write_data(buffer.data(), count);
        }
      }
    }
    writer.finish();
  }
  auto report = mdivicom::verify_outputs(packs / "bad.tar.gz");
  INFO(report.to_text());
  CHECK_FALSE(report.ok());
  CHECK(report.to_text().find("frames.bin: stored as a hard link to \"tracker/nothing.bin\"") != std::string::npos);
}

TEST_CASE("an output deeper than PATH_MAX is refused with the true reason, not a permission problem", "[core][pack]")
{
  TempDir out, packs;
  make_out(out.path());
  // Built with *at() calls: no single path to it fits PATH_MAX.
  mdivicom::UniqueFd dir(::open((out / "tracker").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  const std::string name(250, 'd');
  for (int i = 0; i < 20; ++i) {
    REQUIRE(::mkdirat(dir.get(), name.c_str(), 0755) == 0);
    dir = mdivicom::UniqueFd(::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(dir);
  }
  mdivicom::UniqueFd leaf(::openat(dir.get(), "leaf.txt", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  REQUIRE(leaf);
  try {
    mdivicom::pack_outputs(out.path(), packs / "deep.tar.gz");
    FAIL("packed a path longer than PATH_MAX");
  } catch (const mdivicom::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("longer than the system's limit of 4096 bytes") &&
                             !Catch::Contains("fix its permissions"));
  }
  // std::filesystem cannot remove it either; rm walks it with *at() calls.
  CHECK(mdivicom::test::run_command({"rm", "-rf", (out / "tracker").string()}).exit_code == 0);
}
