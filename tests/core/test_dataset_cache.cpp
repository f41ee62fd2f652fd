#include <catch2/catch.hpp>

#include "core/archive/archive.hpp"
#include "core/dataset/archive.hpp"
#include "core/dataset/cache.hpp"
#include "core/dataset/cache_gc.hpp"
#include "support/child.hpp"
#include "support/temp_dir.hpp"

#include <csignal>
#include <functional>
#include <set>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using mdivicom::DatasetCacheGcOptions;
using mdivicom::DatasetCacheGcReport;
using mdivicom::test::Child;
using mdivicom::test::TempDir;

namespace {

fs::path make_archive(const fs::path& file, const std::string& content)
{
  mdivicom::ArchiveWriter writer(file, *mdivicom::archive_format_from_name(file));
  // Two top-level entries: the cache entry itself is the dataset root.
  writer.begin_file("dataset_manifest.yaml", 2, 0644, 0);
  writer.write_data("m\n", 2);
  writer.add_directory("sessions", 0755, 0);
  writer.begin_file("sessions/data.csv", content.size(), 0644, 0);
  writer.write_data(content.data(), content.size());
  writer.finish();
  return file;
}

// prepare_dataset in a process that then ends, as a finished run does; returns the cache entry.
fs::path prepared_by_a_finished_run(const fs::path& archive, const fs::path& cache)
{
  Child run([&] { return mdivicom::prepare_dataset(archive, cache, {}).string(); });
  INFO(run.result());
  REQUIRE(run.result().starts_with("/"));
  return run.result();
}

void set_age_days(const fs::path& path, int days)
{
  const time_t when = ::time(nullptr) - static_cast<time_t>(days) * 24 * 3600;
  const timespec times[2] = {{when, 0}, {when, 0}};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

int64_t mtime_of(const fs::path& path)
{
  struct stat info = {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  return info.st_mtim.tv_sec;
}

std::set<std::string> names(const std::vector<mdivicom::DatasetCacheItem>& items)
{
  std::set<std::string> result;
  for (const auto& item : items) {
    result.insert(item.name);
  }
  return result;
}

std::set<std::string> listing(const fs::path& dir)
{
  std::set<std::string> result;
  for (const auto& entry : fs::directory_iterator(dir)) {
    result.insert(entry.path().filename().string());
  }
  return result;
}

// What an extraction in progress looks like: the lease first, then its partial directory.
std::string start_extraction(const fs::path& datasets, const std::string& sha256)
{
  mdivicom::hold_dataset_lease(datasets, sha256);
  fs::path partial = mdivicom::make_partial_dir(datasets, sha256);
  mdivicom::test::write_file(partial / "sessions/half.csv", "t,x\n0,");
  return partial.filename().string();
}

const std::string k_sha_a(64, 'a');
const std::string k_sha_b(64, 'b');

} // namespace

TEST_CASE("gc removes an interrupted extraction whose process died and keeps one still being extracted",
          "[core][dataset_cache][gc]")
{
  TempDir cache;
  const fs::path datasets = cache / "datasets";
  fs::create_directories(datasets);
  Child killed([&] { return start_extraction(datasets, k_sha_a); });
  Child alive([&] { return start_extraction(datasets, k_sha_b); });
  REQUIRE(fs::exists(datasets / killed.result() / "sessions/half.csv"));
  REQUIRE(fs::exists(datasets / alive.result() / "sessions/half.csv"));
  killed.kill();

  DatasetCacheGcReport report = mdivicom::gc_dataset_cache(cache.path(), {});
  CHECK(report.errors.empty());
  CHECK(names(report.removed) == std::set<std::string>{killed.result()});
  REQUIRE(report.kept.size() == 1);
  CHECK(report.kept[0].name == alive.result());
  CHECK(report.kept[0].reason == "being extracted by a running mdivicom");
  CHECK(report.removed[0].kind == "partial");
  CHECK(report.removed[0].bytes == 6);
  CHECK_FALSE(fs::exists(datasets / killed.result()));
  CHECK_FALSE(fs::exists(datasets / (k_sha_a + ".used")));
  CHECK(fs::exists(datasets / alive.result() / "sessions/half.csv"));

  // Once that process is gone too, its extraction is as dead as the first.
  alive.kill();
  report = mdivicom::gc_dataset_cache(cache.path(), {});
  CHECK(names(report.removed) == std::set<std::string>{alive.result()});
  CHECK(listing(datasets).empty());
}

TEST_CASE("gc removes extracted datasets unused for longer than --older-than and keeps recent ones",
          "[core][dataset_cache][gc]")
{
  TempDir dir;
  TempDir cache;
  const fs::path old_entry = prepared_by_a_finished_run(make_archive(dir / "old.tar.gz", "old\n"), cache.path());
  const fs::path recent_entry = prepared_by_a_finished_run(make_archive(dir / "recent.zip", "recent\n"), cache.path());
  const fs::path reused_entry = prepared_by_a_finished_run(make_archive(dir / "reused.tar", "reused\n"), cache.path());
  const std::string old_sha = old_entry.filename().string();
  for (const fs::path& entry : {old_entry, reused_entry}) {
    set_age_days(entry, 40);
    set_age_days(entry.string() + ".used", 40);
  }
  // Using an entry again (no extraction this time) counts as a use.
  CHECK(prepared_by_a_finished_run(dir / "reused.tar", cache.path()) == reused_entry);

  DatasetCacheGcOptions options;
  options.older_than_days = 30;
  DatasetCacheGcReport report = mdivicom::gc_dataset_cache(cache.path(), options);
  CHECK(report.errors.empty());
  REQUIRE(report.removed.size() == 1);
  CHECK(report.removed[0].name == old_sha);
  CHECK(report.removed[0].kind == "dataset");
  CHECK(report.removed[0].reason == "unused for 40 days");
  CHECK(report.removed[0].bytes == 6);
  CHECK(names(report.kept) ==
        std::set<std::string>{recent_entry.filename().string(), reused_entry.filename().string()});
  CHECK_FALSE(fs::exists(old_entry));
  CHECK_FALSE(fs::exists(old_entry.string() + ".used"));
  CHECK(mdivicom::test::read_file(recent_entry / "sessions/data.csv") == "recent\n");
  CHECK(listing(cache / "datasets").size() == 4); // two entries, two stamps

  // Removed is not lost: the next run extracts the archive again.
  CHECK(prepared_by_a_finished_run(dir / "old.tar.gz", cache.path()) == old_entry);
  CHECK(mdivicom::test::read_file(old_entry / "sessions/data.csv") == "old\n");

  options.older_than_days = 0;
  report = mdivicom::gc_dataset_cache(cache.path(), options);
  CHECK(report.removed.size() == 3);
  CHECK(listing(cache / "datasets").empty());
}

TEST_CASE("gc keeps a dataset a running process uses, however long unused before", "[core][dataset_cache][gc]")
{
  TempDir dir;
  TempDir cache;
  const fs::path archive = make_archive(dir / "ds.tar.zst", "in use\n");
  Child run([&] { return mdivicom::prepare_dataset(archive, cache.path(), {}).string(); });
  const fs::path entry = run.result();
  REQUIRE(fs::is_directory(entry));
  set_age_days(entry, 400);
  set_age_days(entry.string() + ".used", 400);

  DatasetCacheGcReport report = mdivicom::gc_dataset_cache(cache.path(), {});
  CHECK(report.removed.empty());
  REQUIRE(report.kept.size() == 1);
  CHECK(report.kept[0].reason == "in use by a running mdivicom");
  CHECK(fs::exists(entry / "sessions/data.csv"));

  run.kill();
  report = mdivicom::gc_dataset_cache(cache.path(), {});
  CHECK(report.removed.size() == 1);
  CHECK_FALSE(fs::exists(entry));
}

TEST_CASE("a dry run of gc lists what would go and changes nothing", "[core][dataset_cache][gc]")
{
  TempDir dir;
  TempDir cache;
  const fs::path datasets = cache / "datasets";
  const fs::path entry = prepared_by_a_finished_run(make_archive(dir / "ds.tar.gz", "dry\n"), cache.path());
  set_age_days(entry, 90);
  REQUIRE(fs::remove(entry.string() + ".used")); // a cache entry from before stamps: its directory's age counts
  Child killed([&] { return start_extraction(datasets, k_sha_a); });
  killed.kill();
  const std::set<std::string> before = listing(datasets);
  const int64_t stamp_time = mtime_of(datasets / (k_sha_a + ".used"));

  DatasetCacheGcOptions options;
  options.dry_run = true;
  DatasetCacheGcReport report = mdivicom::gc_dataset_cache(cache.path(), options);
  CHECK(report.errors.empty());
  CHECK(names(report.removed) == std::set<std::string>{entry.filename().string(), killed.result()});
  for (const auto& item : report.removed) {
    CHECK(item.bytes > 0);
  }
  CHECK(report.to_json().contains("found"));
  CHECK_FALSE(report.to_json().contains("removed"));
  CHECK(listing(datasets) == before);
  CHECK(mtime_of(datasets / (k_sha_a + ".used")) == stamp_time);
  CHECK(mdivicom::test::read_file(entry / "sessions/data.csv") == "dry\n");

  options.dry_run = false;
  report = mdivicom::gc_dataset_cache(cache.path(), options);
  CHECK(report.removed.size() == 2);
  CHECK(listing(datasets).empty());
}

TEST_CASE("gc never follows a symbolic link out of the dataset cache", "[core][dataset_cache][gc]")
{
  TempDir dir;
  TempDir cache;
  TempDir outside;
  mdivicom::test::write_file(outside / "precious/keep.txt", "keep me");
  REQUIRE(::chmod((outside / "precious").c_str(), 0500) == 0);
  const fs::path datasets = cache / "datasets";

  // Links inside an extracted dataset (tampered with: extraction refuses escaping links).
  const fs::path entry = prepared_by_a_finished_run(make_archive(dir / "ds.tar", "x\n"), cache.path());
  REQUIRE(::chmod(entry.c_str(), 0755) == 0);
  REQUIRE(::chmod((entry / "sessions").c_str(), 0755) == 0);
  fs::create_symlink(outside / "precious", entry / "escape");
  fs::create_symlink(outside / "precious/keep.txt", entry / "sessions/file-escape");
  set_age_days(entry, 60);
  set_age_days(entry.string() + ".used", 60);
  // ... inside an interrupted extraction ...
  Child killed([&] { return start_extraction(datasets, k_sha_a); });
  killed.kill();
  fs::create_symlink(outside / "precious", datasets / killed.result() / "sessions/escape");
  // ... and in the cache directory itself, under names gc handles.
  fs::create_symlink(outside / "precious", datasets / k_sha_b);
  fs::create_symlink(outside / "precious", datasets / (".partial-" + k_sha_b + "-zzzzzz"));
  fs::create_symlink(outside / "precious", datasets / ".partial-0123456789abcdef-yyyyyy");

  DatasetCacheGcReport report = mdivicom::gc_dataset_cache(cache.path(), {});
  INFO(report.to_json().dump(2));
  CHECK(report.errors.empty());
  CHECK(names(report.removed) == std::set<std::string>{entry.filename().string(), killed.result()});
  REQUIRE(report.kept.size() == 1);
  CHECK(report.kept[0].kind == "other");
  CHECK(mdivicom::test::read_file(outside / "precious/keep.txt") == "keep me");
  struct stat info = {};
  REQUIRE(::stat((outside / "precious").c_str(), &info) == 0);
  CHECK((info.st_mode & 07777) == 0500);
  REQUIRE(::stat((outside / "precious/keep.txt").c_str(), &info) == 0);
  CHECK((info.st_mode & 07777) == 0644);
  CHECK(listing(datasets) ==
        std::set<std::string>{k_sha_b, ".partial-" + k_sha_b + "-zzzzzz", ".partial-0123456789abcdef-yyyyyy"});
  ::chmod((outside / "precious").c_str(), 0755);
}

TEST_CASE("gc removes an extraction left without a lock by an older mdivicom once untouched for a day",
          "[core][dataset_cache][gc]")
{
  TempDir cache;
  const fs::path datasets = cache / "datasets";
  mdivicom::test::write_file(datasets / ".partial-0123456789abcdef-OLDone/sessions/a.csv", "1");
  mdivicom::test::write_file(datasets / ".partial-0123456789abcdef-NEWone/sessions/a.csv", "2");
  set_age_days(datasets / ".partial-0123456789abcdef-OLDone", 2);

  DatasetCacheGcReport report = mdivicom::gc_dataset_cache(cache.path(), {});
  CHECK(names(report.removed) == std::set<std::string>{".partial-0123456789abcdef-OLDone"});
  CHECK(names(report.kept) == std::set<std::string>{".partial-0123456789abcdef-NEWone"});
  CHECK(listing(datasets) == std::set<std::string>{".partial-0123456789abcdef-NEWone"});
}

TEST_CASE("remove_read_only_tree removes a read-only tree, and a link given to it only as a link",
          "[core][dataset_cache]")
{
  TempDir dir;
  TempDir outside;
  mdivicom::test::write_file(outside / "keep.txt", "keep");
  std::string deep = "tree";
  for (int i = 0; i < 300; ++i) { // deeper than a process could hold descriptors for comfortably
    deep += "/d";
  }
  mdivicom::test::write_file(dir / deep / "leaf.txt", "leaf");
  fs::create_symlink(outside.path(), dir / "tree/d/out");
  for (fs::path at = dir / deep; at != dir.path(); at = at.parent_path()) {
    REQUIRE(::chmod(at.c_str(), 0555) == 0);
  }
  fs::create_symlink(outside.path(), dir / "link");

  mdivicom::remove_read_only_tree(dir / "link");
  mdivicom::remove_read_only_tree(dir / "tree");
  mdivicom::remove_read_only_tree(dir / "missing");
  CHECK(fs::is_empty(dir.path()));
  CHECK(mdivicom::test::read_file(outside / "keep.txt") == "keep");
}
