#include "core/inventory.hpp"

#include "core/file_hasher.hpp"
#include "core/fs_util.hpp"
#include "core/sha256.hpp"
#include "core/text_bytes.hpp"

#include <spdlog/spdlog.h>

#include <sys/stat.h>

namespace mdivicom {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr size_t k_max_warnings = 20;

EntryType entry_type_from_name(const std::string& name)
{
  for (EntryType type : {EntryType::file, EntryType::directory, EntryType::symlink, EntryType::fifo,
                         EntryType::socket, EntryType::char_device, EntryType::block_device, EntryType::unknown}) {
    if (to_string(type) == name) {
      return type;
    }
  }
  throw std::invalid_argument("unknown entry type \"" + name + "\"");
}

// Stores text that may not be UTF-8 under `key`, with its exact bytes under `key`_hex.
void put_bytes(json& object, const std::string& key, const std::string& bytes)
{
  if (is_valid_utf8(bytes)) {
    object[key] = bytes;
  } else {
    object[key] = to_valid_utf8(bytes);
    object[key + "_hex"] = to_hex(bytes);
  }
}

std::string get_bytes(const json& object, const std::string& key)
{
  if (auto hex = object.find(key + "_hex"); hex != object.end()) {
    auto bytes = from_hex(hex->get<std::string>());
    if (!bytes) {
      throw std::invalid_argument(key + "_hex is not hexadecimal");
    }
    return *bytes;
  }
  return object.at(key).get<std::string>();
}

std::string describe_warning(const InventoryEntry& entry)
{
  std::string path = to_valid_utf8(entry.path);
  if (!entry.error.empty()) {
    return path + ": " + entry.error;
  }
  return path + ": symbolic link to \"" + to_valid_utf8(entry.target) +
         "\" points outside the output directory (recorded, not followed)";
}

} // namespace

uint64_t Inventory::total_bytes() const
{
  uint64_t total = 0;
  for (const auto& entry : entries) {
    total += entry.type == EntryType::file ? entry.size : 0;
  }
  return total;
}

std::string Inventory::tree_sha256() const
{
  Sha256 hash;
  for (const auto& entry : entries) {
    hash.update(inventory_line(entry));
  }
  return hash.hex_digest();
}

Inventory take_inventory(const fs::path& dir, const InventoryOptions& options)
{
  std::vector<TreeEntry> walked = walk_tree(dir);
  Inventory inventory;
  std::vector<HashJob> jobs;
  for (auto& item : walked) {
    if (item.type == EntryType::directory && item.error.empty()) {
      continue;
    }
    InventoryEntry entry;
    entry.path = std::move(item.path);
    entry.type = item.type;
    entry.error = std::move(item.error);
    if (entry.type == EntryType::file) {
      entry.size = item.size;
      entry.executable = (item.mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;
      if (entry.error.empty()) {
        jobs.push_back({entry.path, item.size, {}, 0, {}});
      }
    } else if (entry.type == EntryType::symlink) {
      entry.target = std::move(item.link_target);
      entry.escapes = !link_stays_inside(entry.path, entry.target);
    }
    inventory.entries.push_back(std::move(entry));
  }

  hash_files(dir, jobs, {false, options.what, options.workers, options.progress});

  // Both lists are sorted by path, so one pass pairs each job with its entry.
  auto job = jobs.begin();
  for (auto& entry : inventory.entries) {
    if (job != jobs.end() && job->path == entry.path) {
      entry.sha256 = std::move(job->sha256);
      entry.error = std::move(job->error);
      entry.size = entry.error.empty() ? job->size : entry.size;
      ++job;
    }
  }
  return inventory;
}

json entry_to_json(const InventoryEntry& entry)
{
  json value = json::object();
  put_bytes(value, "path", entry.path);
  value["type"] = std::string(to_string(entry.type));
  if (entry.type == EntryType::file) {
    value["size"] = entry.size;
    if (!entry.sha256.empty()) {
      value["sha256"] = entry.sha256;
    }
    if (entry.executable) {
      value["executable"] = true;
    }
  } else if (entry.type == EntryType::symlink) {
    put_bytes(value, "target", entry.target);
    if (entry.escapes) {
      value["escapes"] = true;
    }
  }
  if (!entry.error.empty()) {
    value["error"] = to_valid_utf8(entry.error);
  }
  return value;
}

Result<InventoryEntry> entry_from_json(const json& value)
{
  try {
    InventoryEntry entry;
    entry.path = get_bytes(value, "path");
    entry.type = entry_type_from_name(value.at("type").get<std::string>());
    if (entry.path.empty()) {
      return Failure{"an entry has an empty path"};
    }
    if (entry.type == EntryType::file) {
      entry.size = value.at("size").get<uint64_t>();
      entry.sha256 = value.value("sha256", "");
      entry.executable = value.value("executable", false);
    } else if (entry.type == EntryType::symlink) {
      entry.target = get_bytes(value, "target");
      entry.escapes = value.value("escapes", false);
    }
    entry.error = value.value("error", "");
    if (entry.type == EntryType::file && entry.sha256.empty() && entry.error.empty()) {
      return Failure{"entry \"" + to_valid_utf8(entry.path) + "\" is a file without sha256"};
    }
    return entry;
  } catch (const std::exception& e) {
    return Failure{"malformed inventory entry " + value.dump(-1, ' ', false, json::error_handler_t::replace) +
                   ": " + e.what()};
  }
}

std::string inventory_line(const InventoryEntry& entry)
{
  return entry_to_json(entry).dump() + "\n";
}

json record_outputs(const fs::path& out_root, const fs::path& outputs_dir, const std::string& run_id,
                    size_t embed_limit)
{
  fs::path root = resolved_path(outputs_dir).lexically_relative(resolved_path(out_root));
  if (root.empty() || *root.begin() == "..") {
    throw Error("internal error: outputs " + outputs_dir.string() + " do not lie below " + out_root.string());
  }
  json fragment = {{"root", root.generic_string()}};
  json warnings = json::array();
  Inventory inventory;
  std::error_code ignored;
  if (fs::exists(fs::symlink_status(outputs_dir, ignored))) {
    inventory = take_inventory(outputs_dir, {"outputs in " + outputs_dir.string(), 0, true});
  } else {
    warnings.push_back("output directory " + outputs_dir.string() + " does not exist; recorded as empty");
  }

  size_t problems = 0;
  for (const auto& entry : inventory.entries) {
    if (!entry.error.empty() || entry.escapes) {
      if (++problems <= k_max_warnings) {
        warnings.push_back(describe_warning(entry));
        spdlog::warn("{}", describe_warning(entry));
      }
    }
  }
  if (problems > k_max_warnings) {
    warnings.push_back("... and " + std::to_string(problems - k_max_warnings) + " more unreadable or escaping entries");
  }

  const std::string tree_sha256 = inventory.tree_sha256();
  fragment["file_count"] = inventory.entries.size();
  fragment["total_bytes"] = inventory.total_bytes();
  fragment["tree_sha256"] = tree_sha256;
  if (inventory.entries.size() <= embed_limit) {
    json files = json::array();
    for (const auto& entry : inventory.entries) {
      files.push_back(entry_to_json(entry));
    }
    fragment["files"] = std::move(files);
  } else {
    const std::string relative = "_runs/" + run_id + ".inventory.jsonl";
    json header = {{"format", "mdivicom.inventory.v1"}, {"run_id", run_id}, {"root", fragment["root"]},
                   {"file_count", inventory.entries.size()}, {"total_bytes", inventory.total_bytes()},
                   {"tree_sha256", tree_sha256}};
    std::string text = header.dump() + "\n";
    for (const auto& entry : inventory.entries) {
      text += inventory_line(entry);
    }
    fs::create_directories(out_root / "_runs");
    write_file_atomic(out_root / relative, text);
    fragment["inventory_path"] = relative;
    fragment["inventory_sha256"] = sha256_hex(text);
  }
  if (!warnings.empty()) {
    fragment["warnings"] = std::move(warnings);
  }
  return fragment;
}

} // namespace mdivicom
