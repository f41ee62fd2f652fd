#include "core/records/inventory.hpp"

#include "core/util/fs.hpp"
#include "core/records/inventory_scan.hpp"
#include "core/hash/sha256.hpp"
#include "core/json/text.hpp"
#include "core/util/text_bytes.hpp"
#include "core/util/utf8.hpp"

#include <spdlog/spdlog.h>

namespace mdivicom {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr size_t k_max_warnings = 20;

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

// Shown on the terminal too: a name the plugin chose must not move the cursor or forge a line.
std::string describe_warning(const InventoryEntry& entry)
{
  std::string path = printable(entry.path);
  if (!entry.error.empty()) {
    return path + ": " + entry.error;
  }
  return path + ": symbolic link to \"" + printable(entry.target) +
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
  return Inventory{scan_inventory(dir, options)};
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

namespace {

// Adds ,"key":"value" (or the first member without the comma) for text that may not be UTF-8.
void append_member(std::string& out, std::string_view key, std::string_view value)
{
  out += out.size() == 1 ? "\"" : ",\"";
  out += key;
  out += "\":";
  append_escaped_string(out, value); // as nlohmann's dump() writes it: `value` is UTF-8 here
}

} // namespace

// Must equal entry_to_json(entry).dump() + "\n" byte for byte (a test holds it to that), but
// without building a JSON document: this runs for every file of every inventory.
std::string inventory_line(const InventoryEntry& entry)
{
  // Members in sorted key order: error, escapes, executable, path, path_hex, sha256, size,
  // target, target_hex, type.
  const bool file = entry.type == EntryType::file;
  const bool link = entry.type == EntryType::symlink;
  const bool path_ok = is_valid_utf8(entry.path);
  const bool target_ok = !link || is_valid_utf8(entry.target);
  std::string line = "{";
  line.reserve(160 + entry.path.size());
  if (!entry.error.empty()) {
    append_member(line, "error", to_valid_utf8(entry.error));
  }
  if (link && entry.escapes) {
    line += line.size() == 1 ? "\"escapes\":true" : ",\"escapes\":true";
  }
  if (file && entry.executable) {
    line += line.size() == 1 ? "\"executable\":true" : ",\"executable\":true";
  }
  append_member(line, "path", path_ok ? std::string_view(entry.path) : std::string_view(to_valid_utf8(entry.path)));
  if (!path_ok) {
    append_member(line, "path_hex", to_hex(entry.path));
  }
  if (file && !entry.sha256.empty()) {
    append_member(line, "sha256", entry.sha256);
  }
  if (file) {
    line += ",\"size\":" + std::to_string(entry.size);
  }
  if (link) {
    append_member(line, "target",
                  target_ok ? std::string_view(entry.target) : std::string_view(to_valid_utf8(entry.target)));
    if (!target_ok) {
      append_member(line, "target_hex", to_hex(entry.target));
    }
  }
  append_member(line, "type", to_string(entry.type));
  line += "}\n";
  return line;
}

json record_outputs(const fs::path& out_root, const fs::path& outputs_dir, const std::string& run_id,
                    size_t embed_limit)
{
  // The last component is not resolved: it may be a link a plugin put in place of the directory.
  const fs::path normal = outputs_dir.lexically_normal();
  const fs::path dir = normal.has_filename() ? normal : normal.parent_path();
  fs::path root = (resolved_path(dir.parent_path()) / dir.filename()).lexically_relative(resolved_path(out_root));
  if (root.empty() || *root.begin() == "..") {
    throw Error("internal error: outputs " + outputs_dir.string() + " do not lie below " + out_root.string());
  }
  json fragment = {{"root", root.generic_string()}};
  json warnings = json::array();
  Inventory inventory;
  std::error_code ignored;
  const fs::file_status status = fs::symlink_status(outputs_dir, ignored);
  if (fs::is_symlink(status)) {
    // The runner made a directory; a plugin replaced it with a link. Never read through it.
    warnings.push_back("output directory " + outputs_dir.string() + " was replaced by a symbolic link to " +
                       fs::read_symlink(outputs_dir, ignored).string() + "; not followed, recorded as empty");
  } else if (fs::exists(status)) {
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
  fragment["empty_dirs"] = true;
  if (inventory.entries.size() <= embed_limit) {
    json files = json::array();
    for (const auto& entry : inventory.entries) {
      files.push_back(entry_to_json(entry));
    }
    fragment["files"] = std::move(files);
  } else {
    const std::string relative = "_runs/" + run_id + ".inventory.jsonl";
    json header = {{"format", "mdivicom.inventory.v1"},
                   {"run_id", run_id},
                   {"root", fragment["root"]},
                   {"file_count", inventory.entries.size()},
                   {"total_bytes", inventory.total_bytes()},
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

bool records_empty_dirs(const json& outputs)
{
  auto it = outputs.find("empty_dirs");
  return it != outputs.end() && it->is_boolean() && it->get<bool>();
}

void drop_empty_dirs(std::vector<InventoryEntry>& entries)
{
  std::erase_if(entries,
                [](const InventoryEntry& entry) { return entry.type == EntryType::directory && entry.error.empty(); });
}

} // namespace mdivicom
