#include <catch2/catch.hpp>

#include "core/dataset/identity.hpp"
#include "core/util/error.hpp"
#include "support/temp_dir.hpp"

#include <thread>

namespace fs = std::filesystem;
using mdivicom::DatasetHashMode;
using mdivicom::test::let_files_settle;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;

namespace {

nlohmann::json identify(const fs::path& dir, DatasetHashMode mode, const fs::path& cache)
{
  mdivicom::DatasetIdentityOptions options;
  options.cache_dir = cache;
  options.progress = false;
  return mdivicom::dataset_identity(dir, mode, options);
}

void make_session(const fs::path& root)
{
  write_file(root / "dataset_manifest.yaml", "name: demo\n");
  write_file(root / "sessions/ses-1/raw/video/str-1/frames.bin", std::string(200000, 'v'));
  write_file(root / "sessions/ses-1/raw/imu/str-2/imu.csv", "t,ax\n0,1\n");
}

} // namespace

TEST_CASE("full dataset identity hashes contents once and takes unchanged files from the cache",
          "[core][dataset_identity]")
{
  TempDir data;
  TempDir cache;
  make_session(data.path());
  let_files_settle();

  auto first = identify(data.path(), DatasetHashMode::full, cache.path());
  CHECK(first["mode"] == "full");
  CHECK(first["file_count"] == 3);
  CHECK(first["total_bytes"] == 200000 + 11 + 9);
  CHECK(first["cache"]["hashed"] == 3);
  CHECK(first["cache"]["hits"] == 0);

  auto second = identify(data.path(), DatasetHashMode::full, cache.path());
  CHECK(second["cache"]["hits"] == 3);
  CHECK(second["cache"]["hashed"] == 0);
  CHECK(second["fingerprint_sha256"] == first["fingerprint_sha256"]);

  // Same size, new content: only that file is read again, and the fingerprint moves.
  write_file(data / "sessions/ses-1/raw/imu/str-2/imu.csv", "t,ax\n0,2\n");
  auto third = identify(data.path(), DatasetHashMode::full, cache.path());
  CHECK(third["cache"]["hits"] == 2);
  CHECK(third["cache"]["hashed"] == 1);
  CHECK(third["fingerprint_sha256"] != first["fingerprint_sha256"]);
}

TEST_CASE("a corrupt hash cache is ignored and rebuilt", "[core][dataset_identity]")
{
  TempDir data;
  TempDir cache;
  make_session(data.path());
  let_files_settle();
  auto clean = identify(data.path(), DatasetHashMode::full, cache.path());

  size_t damaged = 0;
  for (const auto& shard : fs::recursive_directory_iterator(cache.path())) {
    if (shard.is_regular_file()) {
      std::string text = mdivicom::test::read_file(shard.path());
      write_file(shard.path(), text.substr(0, text.size() / 2) + "\x01garbage 12 x\n");
      ++damaged;
    }
  }
  REQUIRE(damaged > 0);
  auto rebuilt = identify(data.path(), DatasetHashMode::full, cache.path());
  CHECK(rebuilt["fingerprint_sha256"] == clean["fingerprint_sha256"]);
  CHECK(rebuilt["cache"]["hits"] == 0);
  auto again = identify(data.path(), DatasetHashMode::full, cache.path());
  CHECK(again["cache"]["hits"] == 3);
}

TEST_CASE("concurrent runs sharing a hash cache leave it readable", "[core][dataset_identity]")
{
  TempDir cache;
  std::vector<std::unique_ptr<TempDir>> datasets;
  for (int i = 0; i < 4; ++i) {
    datasets.push_back(std::make_unique<TempDir>());
    for (int f = 0; f < 200; ++f) {
      write_file(datasets.back()->path() / ("f" + std::to_string(f)), std::to_string(i * 1000 + f));
    }
  }
  let_files_settle();
  std::vector<std::string> fingerprints(datasets.size());
  {
    std::vector<std::jthread> threads;
    for (size_t i = 0; i < datasets.size(); ++i) {
      threads.emplace_back([&, i] {
        fingerprints[i] = identify(datasets[i]->path(), DatasetHashMode::full, cache.path())["fingerprint_sha256"];
      });
    }
  }
  for (size_t i = 0; i < datasets.size(); ++i) {
    auto again = identify(datasets[i]->path(), DatasetHashMode::full, cache.path());
    CHECK(again["fingerprint_sha256"] == fingerprints[i]);
  }
  // Every shard on disk is complete: a damaged one would not count as hits after a reload.
  for (const auto& shard : fs::directory_iterator(cache.path())) {
    std::string text = mdivicom::test::read_file(shard.path());
    CHECK(text.starts_with("mdivicom-file-hashes v1\n"));
    CHECK(text.find("\nend ") != std::string::npos);
  }
}

TEST_CASE("a copy of a dataset has the same full fingerprint but a different fast one", "[core][dataset_identity]")
{
  TempDir original;
  TempDir copy;
  TempDir cache;
  make_session(original.path());
  fs::copy(original.path(), copy.path(), fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  fs::last_write_time(copy / "dataset_manifest.yaml", fs::file_time_type::clock::now() - std::chrono::hours(5));

  CHECK(identify(original.path(), DatasetHashMode::full, cache.path())["fingerprint_sha256"] ==
        identify(copy.path(), DatasetHashMode::full, cache.path())["fingerprint_sha256"]);
  auto fast = identify(copy.path(), DatasetHashMode::fast, cache.path());
  CHECK(fast["fingerprint_sha256"] !=
        identify(original.path(), DatasetHashMode::fast, cache.path())["fingerprint_sha256"]);
  CHECK_FALSE(fast.contains("cache"));
  CHECK(fast["note"].get<std::string>().find("contents were not read") != std::string::npos);
}

TEST_CASE("off mode records the dataset path and nothing else", "[core][dataset_identity]")
{
  TempDir data;
  auto identity = identify(data.path(), DatasetHashMode::off, data.path());
  CHECK(identity == nlohmann::json{{"mode", "off"}, {"path", data.path().string()}});
}

TEST_CASE("a git-annex style dataset is hashed through its links, and .git is not walked", "[core][dataset_identity]")
{
  TempDir annexed;
  TempDir plain;
  TempDir cache;
  write_file(annexed / ".git/annex/objects/ab/SHA256E-s5--x/SHA256E-s5--x", "video");
  write_file(annexed / ".git/index", "changes with every git command");
  fs::create_directories(annexed / "sessions");
  fs::create_symlink("../.git/annex/objects/ab/SHA256E-s5--x/SHA256E-s5--x", annexed / "sessions/video.mp4");
  fs::create_symlink("../.git/annex/objects/missing", annexed / "sessions/not_fetched.mp4");
  write_file(plain / "sessions/video.mp4", "video");

  auto linked = identify(annexed.path(), DatasetHashMode::full, cache.path());
  CHECK(linked["file_count"] == 1);
  CHECK(linked["symlinks"] == 2);
  CHECK(linked["excluded"] == nlohmann::json::array({".git"}));
  REQUIRE(linked.contains("problems"));
  CHECK(linked["problems"][0].get<std::string>().find("not_fetched.mp4: dangling link") != std::string::npos);

  fs::remove(annexed / "sessions/not_fetched.mp4");
  write_file(annexed / ".git/index", "changed again");
  CHECK(identify(annexed.path(), DatasetHashMode::full, cache.path())["fingerprint_sha256"] ==
        identify(plain.path(), DatasetHashMode::full, cache.path())["fingerprint_sha256"]);
}

TEST_CASE("a dataset link loop is reported instead of followed forever", "[core][dataset_identity]")
{
  TempDir data;
  TempDir cache;
  write_file(data / "a/file", "x");
  fs::create_directory_symlink("..", data / "a/up");
  auto identity = identify(data.path(), DatasetHashMode::full, cache.path());
  CHECK(identity["file_count"] == 1);
  REQUIRE(identity.contains("problems"));
  CHECK(identity["problems"][0].get<std::string>().find("link loop") != std::string::npos);
}

TEST_CASE("the dataset hash mode is full, fast or off, and nothing else", "[core][dataset_identity]")
{
  CHECK(mdivicom::parse_dataset_hash_mode("fast") == DatasetHashMode::fast);
  CHECK(mdivicom::k_default_dataset_hash_mode == DatasetHashMode::full);
  try {
    mdivicom::parse_dataset_hash_mode("quick");
    FAIL("accepted");
  } catch (const mdivicom::Error& e) {
    CHECK(e.code() == mdivicom::ExitCode::usage);
    CHECK(std::string(e.what()).find("full") != std::string::npos);
  }
  TempDir cache;
  CHECK_THROWS_WITH(identify("/nonexistent/dataset", DatasetHashMode::full, cache.path()),
                    Catch::Contains("/nonexistent/dataset"));
}

TEST_CASE("a dataset link to a directory outside the dataset is reported, not walked", "[core][dataset_identity]")
{
  TempDir data;
  TempDir elsewhere;
  TempDir cache;
  write_file(data / "inside/a.csv", "1");
  write_file(elsewhere / "huge/tree.bin", "would be hashed");
  fs::create_directory_symlink(elsewhere.path(), data / "everything");
  fs::create_directory_symlink("inside", data / "alias");
  auto identity = identify(data.path(), DatasetHashMode::full, cache.path());
  CHECK(identity["file_count"] == 2); // inside/a.csv and alias/a.csv
  REQUIRE(identity.contains("problems"));
  CHECK(identity["problems"][0].get<std::string>().find("everything: links to a directory outside") !=
        std::string::npos);
}
