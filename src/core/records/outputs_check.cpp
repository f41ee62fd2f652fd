#include "core/records/outputs_check.hpp"

#include "core/hash/cache.hpp"
#include "core/hash/file_hasher.hpp"
#include "core/records/inventory.hpp"
#include "core/records/scan.hpp"
#include "core/records/verify_runs.hpp"
#include "core/util/file_identity.hpp"
#include "core/util/fs.hpp"
#include "core/util/tree_walk.hpp"

namespace mdivicom {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

FileIdentity identity_of(const TreeEntry& entry)
{
  return {entry.device, entry.inode, entry.size, entry.mtime_ns, entry.ctime_ns};
}

// The entries take_inventory would list for `dir` today, files hashed through the cache.
std::vector<InventoryEntry> current_entries(const fs::path& dir, FileHashCache& cache)
{
  std::error_code error;
  if (!fs::exists(fs::symlink_status(dir, error))) {
    return {};
  }
  const int64_t started_ns = wall_clock_ns();
  std::vector<TreeEntry> walked = walk_tree(dir, {false, {}});
  std::vector<InventoryEntry> entries;
  std::vector<HashJob> jobs;
  std::vector<size_t> job_entry;
  std::vector<size_t> job_walked;
  for (size_t index = 0; index < walked.size(); ++index) {
    const TreeEntry& seen = walked[index];
    InventoryEntry entry;
    entry.path = seen.path;
    entry.type = seen.is_link ? EntryType::symlink : seen.type;
    entry.error = seen.error;
    if (entry.type == EntryType::directory) {
      const bool empty = index + 1 == walked.size() || !walked[index + 1].path.starts_with(seen.path + "/");
      if (!empty && seen.error.empty()) {
        continue; // the inventory lists a directory only when it is empty or unreadable
      }
    } else if (entry.type == EntryType::symlink) {
      entry.target = seen.link_target;
      entry.escapes = !link_stays_inside(seen.path, seen.link_target);
    } else if (entry.type == EntryType::file && seen.error.empty()) {
      entry.size = seen.size;
      entry.executable = (seen.mode & 0111) != 0;
      if (auto cached = cache.lookup(identity_of(seen))) {
        entry.sha256 = *cached;
      } else {
        jobs.push_back({seen.path, seen.size, {}, 0, {}});
        job_entry.push_back(entries.size());
        job_walked.push_back(index);
      }
    }
    entries.push_back(std::move(entry));
  }
  hash_files(dir, jobs, {false, "outputs " + dir.string(), 0, true});
  for (size_t job = 0; job < jobs.size(); ++job) {
    InventoryEntry& entry = entries[job_entry[job]];
    if (!jobs[job].error.empty()) {
      entry.error = jobs[job].error;
      continue;
    }
    entry.sha256 = jobs[job].sha256;
    const FileIdentity identity = identity_of(walked[job_walked[job]]);
    if (is_settled(identity, started_ns) && jobs[job].size == identity.size) {
      cache.store(identity, jobs[job].sha256);
    }
  }
  return entries;
}

} // namespace

Result<std::vector<Mismatch>> outputs_changed_since(const fs::path& out_root, const json& record, FileHashCache& cache)
{
  const json outputs = record.value("outputs", json());
  std::optional<std::string> root = record_outputs_root(record);
  if (!outputs.is_object() || !root) {
    return Failure{"its record has no outputs inventory"};
  }
  auto read_member = [&](const std::string& relative) -> std::optional<std::string> {
    try {
      return read_file(out_root / relative, std::uintmax_t{1} << 30); // verify's bound for an inventory
    } catch (const Error&) {
      return std::nullopt;
    }
  };
  auto expected = recorded_inventory(outputs, read_member);
  if (!expected) {
    return Failure{expected.error()};
  }
  std::vector<InventoryEntry> actual = current_entries(out_root / *root, cache);
  if (!records_empty_dirs(outputs)) {
    drop_empty_dirs(actual);
  }
  return compare_inventories(*expected, actual);
}

} // namespace mdivicom
