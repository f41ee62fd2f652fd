#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/error.hpp"
#include "core/util/tree_walk.hpp"

namespace mdivicom {

// One entry of an output inventory. Directories appear only when they are empty or could not
// be read (records made before empty directories were recorded lack outputs.empty_dirs).
struct InventoryEntry
{
  std::string path; // relative to the inventoried root, '/'-separated, raw bytes
  EntryType type = EntryType::file;
  uint64_t size = 0;       // files only
  std::string sha256;      // files only; empty when `error` is set
  bool executable = false; // files only: any execute bit (kept by `pack` as mode 0755)
  std::string target;      // symlinks only: the link text, never followed
  bool escapes = false;    // symlinks only: the target may resolve outside the root
  std::string error;       // could not be read: "Permission denied", ...

  bool operator==(const InventoryEntry&) const = default;
};

struct Inventory
{
  std::vector<InventoryEntry> entries; // sorted by path (byte order)

  uint64_t total_bytes() const; // sum of the regular files' sizes
  // SHA-256 over inventory_line() of every entry in order: identifies the whole tree.
  std::string tree_sha256() const;
};

struct InventoryOptions
{
  std::string what = "outputs"; // for the progress line
  unsigned workers = 0;         // 0: one per usable core
  bool progress = true;         // a progress line on a terminal for long work
};

// Inventories every entry under `dir` (see hash_files for the parallel, bounded-memory
// hashing). Never follows a symbolic link: a link is recorded with its text. Nothing is
// skipped: an unreadable file or directory is recorded with `error`.
Inventory take_inventory(const std::filesystem::path& dir, const InventoryOptions& options = {});

// The JSON form of one entry, as embedded in run records:
//   {"path": "a/b.csv", "type": "file", "size": 12, "sha256": "<hex>"[, "executable": true]}
//   {"path": "l", "type": "symlink", "target": "../x"[, "escapes": true]}
//   {"path": "p", "type": "fifo"}          (also socket, char_device, block_device, unknown)
//   any entry may carry "error": "<why it could not be read>" (then a file has no sha256).
// A path or target that is not valid UTF-8 is written with U+FFFD replacements and its exact
// bytes in "path_hex" / "target_hex".
nlohmann::json entry_to_json(const InventoryEntry& entry);
// entry_to_json(entry) as compact JSON with sorted keys, plus "\n": a line of the tree hash
// and of an .inventory.jsonl file.
std::string inventory_line(const InventoryEntry& entry);

// Run records embed up to this many entries; beyond it, the list goes to its own file.
inline constexpr size_t k_inventory_embed_limit = 10'000;

// Inventories `outputs_dir` (which must lie below `out_root`) and returns the record fragment
// the run pipeline stores as record["outputs"]:
//   {"root": "<outputs_dir relative to out_root>", "file_count": N (entries), "total_bytes": B,
//    "tree_sha256": "<hex>", "empty_dirs": true, "files": [entry...]}
// or, with more than embed_limit entries, instead of "files":
//    "inventory_path": "_runs/<run_id>.inventory.jsonl", "inventory_sha256": "<hex of that file>"
// where the file holds a header line {"format": "mdivicom.inventory.v1", "run_id", "root",
// "file_count", "total_bytes", "tree_sha256"} and then one inventory_line() per entry.
// Also "warnings": [...] when entries could not be read or links leave the root.
// A missing outputs_dir is inventoried as empty, with a warning.
// "empty_dirs": true says that empty directories are entries; verify ignores them in the
// outputs of a record without it (see records_empty_dirs).
nlohmann::json record_outputs(const std::filesystem::path& out_root, const std::filesystem::path& outputs_dir,
                              const std::string& run_id, size_t embed_limit = k_inventory_embed_limit);

// True when an outputs fragment lists empty directories (written by this mdivicom); false for
// records made before, whose inventories left them out.
bool records_empty_dirs(const nlohmann::json& outputs);

// Drops the empty directories from entries of today's files, to compare them with a record
// that did not list them.
void drop_empty_dirs(std::vector<InventoryEntry>& entries);

} // namespace mdivicom
