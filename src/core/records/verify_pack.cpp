#include "core/records/verify_pack.hpp"

#include "core/records/verify_runs.hpp"

#include "core/archive/archive.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/hash/sha256.hpp"
#include "core/util/utf8.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

constexpr size_t k_buffer_size = 1 << 20;
constexpr uint64_t k_max_member_bytes = 1ull << 30;

// Records and inventories sit directly in _runs/; only those are kept in memory.
bool is_kept_member(const std::string& path)
{
  if (!path.starts_with("_runs/") || path.find('/', 6) != std::string::npos) {
    return false;
  }
  return path.ends_with(".json") || path.ends_with(".jsonl");
}

std::string normalized_member_path(std::string path)
{
  while (path.starts_with("./")) {
    path.erase(0, 2);
  }
  while (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  return path;
}

} // namespace

VerifyReport verify_pack(const fs::path& pack)
{
  ArchiveReader reader(pack);
  std::map<std::string, InventoryEntry> entries;
  std::map<std::string, std::string> members;
  std::set<std::string> directories;
  auto buffer = std::make_unique_for_overwrite<unsigned char[]>(k_buffer_size);

  while (auto header = reader.next()) {
    std::string path = normalized_member_path(header->path);
    if (path.empty() || path == ".") {
      continue;
    }
    if (!is_clean_relative_path(path)) {
      throw Error("pack " + pack.string() + " holds an unsafe entry name \"" + to_valid_utf8(header->path) +
                  "\"; it was not written by mdivicom pack and is not verified");
    }
    if (header->type == EntryType::directory) {
      directories.insert(path);
      continue;
    }
    InventoryEntry entry;
    entry.path = path;
    entry.type = header->type;
    if (entry.type == EntryType::symlink) {
      entry.target = header->link_target;
      entry.escapes = !link_stays_inside(entry.path, entry.target);
    } else if (!header->hardlink_target.empty()) {
      // `pack` stores later names of one file as links to the first: same bytes, same mode.
      const std::string target = normalized_member_path(header->hardlink_target);
      auto first = entries.find(target);
      if (first == entries.end() || first->second.type != EntryType::file || !first->second.error.empty()) {
        entry.error = "stored as a hard link to \"" + to_valid_utf8(header->hardlink_target) +
                      "\", which is not an earlier file of the pack";
      } else {
        entry.size = first->second.size;
        entry.sha256 = first->second.sha256;
        entry.executable = first->second.executable;
        if (auto text = members.find(target); text != members.end() && is_kept_member(path)) {
          members[path] = text->second;
        }
      }
    } else if (entry.type == EntryType::file) {
      const bool keep = is_kept_member(path);
      std::string text;
      Sha256 hash;
      for (size_t count; (count = reader.read(buffer.get(), k_buffer_size)) > 0;) {
        hash.update(buffer.get(), count);
        entry.size += count;
        if (keep && entry.size <= k_max_member_bytes) {
          text.append(reinterpret_cast<const char*>(buffer.get()), count);
        }
      }
      entry.sha256 = hash.hex_digest();
      entry.executable = (header->mode & 0111) != 0;
      if (keep && entry.size <= k_max_member_bytes) {
        members[path] = std::move(text);
      }
    }
    if (!entries.emplace(path, std::move(entry)).second) {
      throw Error("pack " + pack.string() + " holds \"" + to_valid_utf8(path) +
                  "\" twice; it was not written by mdivicom pack and is not verified");
    }
  }

  std::vector<RecordFile> records;
  for (const auto& [path, text] : members) {
    std::string name = path.substr(6);
    if (is_record_file_name(name)) {
      records.push_back(parse_record(path, text));
    }
  }
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.run_id < b.run_id; });

  auto read_member = [&](const std::string& path) -> std::optional<std::string> {
    auto it = members.find(path);
    return it == members.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  auto read_actual = [&](const std::string& root) -> std::optional<std::vector<InventoryEntry>> {
    const std::string prefix = root + "/";
    std::vector<InventoryEntry> found;
    for (auto it = entries.lower_bound(prefix); it != entries.end() && it->first.starts_with(prefix); ++it) {
      InventoryEntry entry = it->second;
      entry.path = it->first.substr(prefix.size());
      found.push_back(std::move(entry));
    }
    if (found.empty() && !directories.contains(root)) {
      return std::nullopt;
    }
    // A directory of the pack with nothing below it is an empty directory, as the scan finds it.
    bool added = false;
    for (auto it = directories.lower_bound(prefix); it != directories.end() && it->starts_with(prefix); ++it) {
      auto sub = directories.lower_bound(*it + "/");
      const bool has_subdir = sub != directories.end() && sub->starts_with(*it + "/");
      auto below = entries.lower_bound(*it + "/");
      const bool has_entry = below != entries.end() && below->first.starts_with(*it + "/");
      if (!has_subdir && !has_entry) {
        InventoryEntry entry;
        entry.type = EntryType::directory;
        entry.path = it->substr(prefix.size());
        found.push_back(std::move(entry));
        added = true;
      }
    }
    if (added) {
      std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    }
    return found;
  };
  return check_runs(pack.string(), records, read_member, read_actual);
}

} // namespace mdivicom
