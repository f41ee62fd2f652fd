#include "core/dataset/archive.hpp"

#include "core/archive/archive.hpp"
#include "core/dataset/cache.hpp"
#include "core/util/error.hpp"
#include "core/hash/file_hasher.hpp"
#include "core/hash/cache.hpp"
#include "core/util/cache_dir.hpp"
#include "core/util/tree_remove.hpp"
#include "core/util/tree_walk.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

// The archive's SHA-256, from the file hash cache when the archive is unchanged since last time.
std::string archive_sha256(const fs::path& archive, const fs::path& cache_dir)
{
  struct stat info = {};
  if (::stat(archive.c_str(), &info) != 0) {
    throw usage_error("cannot read dataset archive " + archive.string() + ": " + std::strerror(errno));
  }
  FileIdentity identity = file_identity(info);
  FileHashCache cache(cache_dir / "file-hashes" / "v1");
  if (auto cached = cache.lookup(identity)) {
    return *cached;
  }
  fs::path absolute = fs::absolute(archive);
  std::vector<HashJob> jobs{{absolute.filename().string(), identity.size, {}, 0, {}}};
  hash_files(absolute.parent_path(), jobs, {true, "dataset archive " + archive.string(), 1, true});
  if (!jobs[0].error.empty()) {
    throw usage_error("cannot read dataset archive " + archive.string() + ": " + jobs[0].error);
  }
  if (is_settled(identity, wall_clock_ns())) {
    cache.store(identity, jobs[0].sha256);
    cache.save();
  }
  return jobs[0].sha256;
}

void make_read_only(const fs::path& dir)
{
  for (const TreeEntry& entry : walk_tree(dir)) {
    if (entry.is_link) {
      continue;
    }
    mode_t mode = entry.type == EntryType::directory ? 0555 : (entry.mode & 0111) != 0 ? 0555 : 0444;
    ::chmod((dir / entry.path).c_str(), mode);
  }
  ::chmod(dir.c_str(), 0555);
}

// An archive made with `tar czf ds.tar.gz dataset/` holds one folder: the dataset is inside it.
// (A dataset root holding a single directory and nothing else is rare: openSIDS roots hold
// dataset_manifest.yaml beside sessions/.)
fs::path dataset_root(const fs::path& extracted)
{
  std::error_code error;
  fs::path only;
  size_t count = 0;
  for (fs::directory_iterator it(extracted, error); !error && it != fs::directory_iterator(); it.increment(error)) {
    only = it->path();
    ++count;
  }
  if (count == 1 && fs::is_directory(fs::symlink_status(only, error))) {
    spdlog::info("the archive holds one folder, {}/: using it as the dataset root", only.filename().string());
    return only;
  }
  return extracted;
}

} // namespace

bool is_dataset_archive(const fs::path& path)
{
  std::error_code error;
  return archive_format_from_name(path).has_value() && fs::is_regular_file(path, error);
}

std::string prepared_archive_sha256(const fs::path& prepared)
{
  auto is_digest = [](const std::string& name) {
    return name.size() == 64 && name.find_first_not_of("0123456789abcdef") == std::string::npos;
  };
  for (const fs::path& dir : {prepared, prepared.parent_path()}) {
    if (is_digest(dir.filename().string()) && dir.parent_path().filename() == "datasets") {
      return dir.filename().string();
    }
  }
  return {};
}

void remove_read_only_tree(const fs::path& dir)
{
  fs::path normal = dir.lexically_normal();
  if (!normal.has_filename()) {
    normal = normal.parent_path();
  }
  const fs::path parent = normal.has_parent_path() ? normal.parent_path() : fs::path(".");
  UniqueFd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent_fd) {
    if (errno == ENOENT) {
      return;
    }
    throw Error("cannot remove " + dir.string() + ": " + std::strerror(errno));
  }
  remove_tree_at(parent_fd.get(), normal.filename().string(), dir);
}

fs::path prepare_dataset(const fs::path& archive)
{
  return prepare_dataset(archive, mdivicom_cache_dir(), ExtractLimits{});
}

fs::path prepare_dataset(const fs::path& archive, const fs::path& cache_dir, const ExtractLimits& limits)
{
  if (!archive_format_from_name(archive)) {
    throw usage_error("--dataset " + archive.string() +
                      ": not a directory or a supported archive (.zip, .tar, .tar.gz, .tgz, .tar.zst)");
  }
  if (!fs::is_regular_file(archive)) {
    throw usage_error("--dataset " + archive.string() + ": no such file");
  }
  const std::string sha256 = archive_sha256(archive, cache_dir);
  const fs::path datasets = cache_dir / "datasets";
  const fs::path final_dir = datasets / sha256;
  std::error_code error;
  fs::create_directories(datasets, error);
  if (error) {
    throw Error("cannot create " + datasets.string() + ": " + error.message() +
                "; check its permissions or set XDG_CACHE_HOME");
  }
  // Before looking: from here until this process exits, `mdivicom gc` leaves this entry alone.
  hold_dataset_lease(datasets, sha256);
  if (fs::is_directory(fs::symlink_status(final_dir, error))) {
    spdlog::debug("dataset archive {} already extracted in {}", archive.string(), final_dir.string());
    return dataset_root(final_dir);
  }
  const fs::path partial = make_partial_dir(datasets, sha256);
  spdlog::info("extracting dataset archive {} (once; cached in {})", archive.string(), final_dir.string());
  try {
    extract_archive_safely(archive, partial, limits);
    make_read_only(partial);
  } catch (...) {
    remove_read_only_tree(partial);
    drop_dataset_lease(datasets, sha256);
    throw;
  }
  if (::rename(partial.c_str(), final_dir.c_str()) != 0) {
    int saved = errno;
    remove_read_only_tree(partial);
    // Another run extracted the same archive first: its copy is as good as ours.
    if ((saved == EEXIST || saved == ENOTEMPTY) && fs::is_directory(fs::symlink_status(final_dir, error))) {
      return dataset_root(final_dir);
    }
    throw Error("cannot move the extracted dataset to " + final_dir.string() + ": " + std::strerror(saved));
  }
  return dataset_root(final_dir);
}

} // namespace mdivicom
