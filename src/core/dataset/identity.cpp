#include "core/dataset/identity.hpp"

#include "core/util/error.hpp"
#include "core/hash/file_hasher.hpp"
#include "core/hash/cache.hpp"
#include "core/hash/sha256.hpp"
#include "core/util/text_bytes.hpp"
#include "core/util/utf8.hpp"
#include "core/util/tree_walk.hpp"

#include <chrono>
#include <optional>

namespace mdivicom {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr size_t k_max_problems = 20;
json path_value(const std::string& path)
{
  return is_valid_utf8(path) ? json(path) : json{{"hex", to_hex(path)}};
}

FileIdentity identity_of(const TreeEntry& entry)
{
  return {entry.device, entry.inode, entry.size, entry.mtime_ns, entry.ctime_ns};
}

} // namespace

DatasetHashMode parse_dataset_hash_mode(std::string_view text)
{
  if (text == "full") {
    return DatasetHashMode::full;
  }
  if (text == "fast") {
    return DatasetHashMode::fast;
  }
  if (text == "off") {
    return DatasetHashMode::off;
  }
  throw usage_error("--dataset-hash " + std::string(text) +
                    ": unknown mode; use full (content hashes, cached), "
                    "fast (paths, sizes and mtimes only) or off");
}

std::string_view to_string(DatasetHashMode mode)
{
  switch (mode) {
  case DatasetHashMode::full: return "full";
  case DatasetHashMode::fast: return "fast";
  case DatasetHashMode::off: return "off";
  }
  return "full";
}

json dataset_identity(const fs::path& dataset_dir, DatasetHashMode mode, const DatasetIdentityOptions& options)
{
  json identity = {{"mode", std::string(to_string(mode))}, {"path", to_valid_utf8(dataset_dir.string())}};
  if (mode == DatasetHashMode::off) {
    return identity;
  }
  const int64_t started_ns = wall_clock_ns();
  std::vector<TreeEntry> entries = walk_tree(dataset_dir, {true, options.excluded_dir_names});

  // Files to hash: everything not answered by the cache.
  std::optional<FileHashCache> own_cache;
  if (options.cache == nullptr) {
    own_cache.emplace(!options.use_cache          ? fs::path()
                      : options.cache_dir.empty() ? FileHashCache::default_dir()
                                                  : options.cache_dir);
  }
  FileHashCache& cache = options.cache != nullptr ? *options.cache : *own_cache;
  std::vector<std::string> hashes(entries.size());
  std::vector<HashJob> jobs;
  std::vector<size_t> job_entry;
  size_t hits = 0;
  if (mode == DatasetHashMode::full) {
    for (size_t index = 0; index < entries.size(); ++index) {
      const TreeEntry& entry = entries[index];
      if (entry.type != EntryType::file || !entry.error.empty()) {
        continue;
      }
      if (auto cached = cache.lookup(identity_of(entry))) {
        hashes[index] = *cached;
        ++hits;
      } else {
        jobs.push_back({entry.path, entry.size, {}, 0, {}});
        job_entry.push_back(index);
      }
    }
    hash_files(dataset_dir, jobs, {true, "dataset " + dataset_dir.string(), options.workers, options.progress});
    for (size_t job = 0; job < jobs.size(); ++job) {
      TreeEntry& entry = entries[job_entry[job]];
      if (!jobs[job].error.empty()) {
        entry.error = jobs[job].error;
        continue;
      }
      hashes[job_entry[job]] = jobs[job].sha256;
      bool settled = is_settled(identity_of(entry), started_ns);
      if (settled && jobs[job].size == entry.size) {
        cache.store(identity_of(entry), jobs[job].sha256);
      }
    }
    if (own_cache) {
      cache.save(); // a shared cache is saved by its owner
    }
  }

  Sha256 fingerprint;
  size_t files = 0;
  size_t links = 0;
  size_t links_outside = 0;
  uint64_t total_bytes = 0;
  json problems = json::array();
  size_t problem_count = 0;
  for (size_t index = 0; index < entries.size(); ++index) {
    const TreeEntry& entry = entries[index];
    if (entry.is_link) {
      ++links;
      links_outside += link_stays_inside(entry.path, entry.link_target) ? 0 : 1;
    }
    json line;
    std::string problem = entry.error;
    if (problem.empty() && entry.type != EntryType::file && entry.type != EntryType::directory) {
      problem = "a " + std::string(to_string(entry.type)) + ", not hashed";
    }
    if (!problem.empty()) {
      line = json::array({path_value(entry.path), problem});
      if (++problem_count <= k_max_problems) {
        problems.push_back(to_valid_utf8(entry.path) + ": " + problem);
      }
    } else if (entry.type == EntryType::file) {
      ++files;
      total_bytes += entry.size;
      line = mode == DatasetHashMode::full ? json::array({path_value(entry.path), entry.size, hashes[index]})
                                           : json::array({path_value(entry.path), entry.size, entry.mtime_ns});
    } else {
      continue; // directories carry no content of their own
    }
    std::string text = line.dump();
    fingerprint.update(text + "\n");
    if (options.lines != nullptr) {
      options.lines->push_back(std::move(text));
    }
  }
  if (problem_count > k_max_problems) {
    problems.push_back("... and " + std::to_string(problem_count - k_max_problems) + " more");
  }

  identity["fingerprint_sha256"] = fingerprint.hex_digest();
  identity["file_count"] = files;
  identity["total_bytes"] = total_bytes;
  identity["symlinks"] = links;
  identity["symlinks_outside"] = links_outside;
  identity["excluded"] = options.excluded_dir_names;
  if (mode == DatasetHashMode::full) {
    identity["cache"] = {{"hits", hits}, {"hashed", jobs.size()}};
  } else {
    identity["note"] = "fast: paths, sizes and modification times only; contents were not read, so content "
                       "rewritten with its old mtime restored goes unnoticed, and copies of the dataset differ";
  }
  if (!problems.empty()) {
    identity["problems"] = std::move(problems);
  }
  return identity;
}

} // namespace mdivicom
