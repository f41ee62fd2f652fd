#include "core/records/verify_runs.hpp"
#include "core/records/inventory_parse.hpp"

#include "core/json/bounded.hpp"
#include "core/util/fs.hpp"
#include "core/util/error.hpp"
#include "core/records/run_order.hpp"
#include "core/hash/sha256.hpp"
#include "core/util/utf8.hpp"

#include <algorithm>
#include <future>
#include <string_view>

namespace mdivicom {

using nlohmann::json;

namespace {

std::string short_hash(const std::string& hex)
{
  return hex.size() > 12 ? hex.substr(0, 12) + "…" : hex;
}

// Entries must come sorted by path and unique: what take_inventory writes.
std::optional<std::string> append_entry(std::vector<InventoryEntry>& entries, Result<InventoryEntry> entry,
                                        const std::string& where)
{
  if (!entry) {
    return where + ": " + entry.error();
  }
  if (!entries.empty() && !(entries.back().path < entry->path)) {
    return where + ": entries are not sorted by path (the inventory was edited)";
  }
  entries.push_back(std::move(*entry));
  return std::nullopt;
}

std::string tree_mismatch(const std::string& where)
{
  return where + " does not match its tree_sha256: the inventory was edited after the run";
}

Result<std::vector<InventoryEntry>> load_embedded(const json& files, const std::string& tree_sha256)
{
  const std::string where = "the record's file list";
  if (!files.is_array()) {
    return Failure{"\"outputs.files\" is not a list"};
  }
  std::vector<InventoryEntry> entries;
  entries.reserve(files.size());
  Sha256 tree;
  for (const auto& value : files) {
    auto entry = entry_from_json(value);
    if (entry) {
      tree.update(inventory_line(*entry));
    }
    if (auto problem = append_entry(entries, std::move(entry), where)) {
      return Failure{*problem};
    }
  }
  if (tree.hex_digest() != tree_sha256) {
    return Failure{tree_mismatch(where)};
  }
  return entries;
}

// The lines are hashed as they are (a non-canonical line fails the tree hash, as it should)
// and parsed one at a time, without a JSON document per entry.
Result<std::vector<InventoryEntry>> load_jsonl(const std::string& text, const std::string& tree_sha256,
                                               const std::string& path)
{
  std::vector<InventoryEntry> entries;
  entries.reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')));
  Sha256 tree;
  bool header = true;
  for (size_t start = 0, end; start < text.size(); start = end + 1) {
    end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    std::string_view line(text.data() + start, end - start);
    if (header) {
      json value = parse_json_bounded(line, false);
      if (!value.is_object() || value.find("format") == value.end() || value["format"] != "mdivicom.inventory.v1") {
        return Failure{path + ": not an mdivicom.inventory.v1 file"};
      }
      header = false;
      continue;
    }
    tree.update(line);
    tree.update("\n");
    if (auto problem = append_entry(entries, parse_inventory_line(line), path)) {
      return Failure{*problem};
    }
  }
  if (tree.hex_digest() != tree_sha256) {
    return Failure{tree_mismatch(path)};
  }
  return entries;
}

} // namespace

Result<std::vector<InventoryEntry>> recorded_inventory(const json& outputs, const MemberReader& read_member)
{
  if (!outputs.is_object() || !outputs.contains("tree_sha256") || !outputs["tree_sha256"].is_string()) {
    return Failure{"\"outputs\" has no tree_sha256"};
  }
  const std::string tree_sha256 = outputs["tree_sha256"].get<std::string>();
  if (outputs.contains("files")) {
    return load_embedded(outputs["files"], tree_sha256);
  }
  if (!outputs.contains("inventory_path") || !outputs["inventory_path"].is_string() ||
      !outputs.contains("inventory_sha256") || !outputs["inventory_sha256"].is_string()) {
    return Failure{"\"outputs\" has neither \"files\" nor \"inventory_path\" with \"inventory_sha256\""};
  }
  const std::string path = outputs["inventory_path"].get<std::string>();
  if (!is_clean_relative_path(path) || !path.starts_with("_runs/")) {
    return Failure{"inventory_path \"" + to_valid_utf8(path) + "\" does not name a file under _runs/"};
  }
  std::optional<std::string> text = read_member(path);
  if (!text) {
    return Failure{"the inventory file " + path + " is missing"};
  }
  if (sha256_hex(*text) != outputs["inventory_sha256"].get<std::string>()) {
    return Failure{"the inventory file " + path + " does not match inventory_sha256: it was edited or damaged"};
  }
  return load_jsonl(*text, tree_sha256, path);
}

namespace {

std::string describe_difference(const InventoryEntry& want, const InventoryEntry& have)
{
  if (want.type != have.type) {
    return "was a " + std::string(to_string(want.type)) + ", now a " + std::string(to_string(have.type));
  }
  if (want.type == EntryType::symlink) {
    return want.target == have.target
               ? std::string()
               : "link target \"" + to_valid_utf8(want.target) + "\" is now \"" + to_valid_utf8(have.target) + "\"";
  }
  if (want.type != EntryType::file) {
    return {};
  }
  if (want.size != have.size) {
    return "size " + std::to_string(want.size) + " is now " + std::to_string(have.size) + " bytes";
  }
  if (want.sha256 != have.sha256) {
    return "content changed: sha256 " + short_hash(have.sha256) + " != recorded " + short_hash(want.sha256);
  }
  if (want.executable != have.executable) {
    return have.executable ? "became executable" : "is no longer executable";
  }
  return {};
}

} // namespace

std::vector<Mismatch> compare_inventories(const std::vector<InventoryEntry>& expected,
                                          const std::vector<InventoryEntry>& actual)
{
  std::vector<Mismatch> mismatches;
  auto want = expected.begin();
  auto have = actual.begin();
  while (want != expected.end() || have != actual.end()) {
    if (have == actual.end() || (want != expected.end() && want->path < have->path)) {
      const bool filled = want->type == EntryType::directory && want->error.empty() && have != actual.end() &&
                          have->path.starts_with(want->path + "/");
      if (filled) {
        mismatches.push_back({"modified", to_valid_utf8(want->path), "was an empty directory, now holds entries"});
      } else {
        mismatches.push_back({"missing", to_valid_utf8(want->path), "recorded " + std::string(to_string(want->type))});
      }
      ++want;
    } else if (want == expected.end() || have->path < want->path) {
      mismatches.push_back(
          {"unexpected", to_valid_utf8(have->path), "not in the record: " + std::string(to_string(have->type))});
      ++have;
    } else {
      if (!want->error.empty()) {
        mismatches.push_back({"unverifiable", to_valid_utf8(want->path),
                              "could not be read when the run was recorded (" + want->error + ")"});
      } else if (!have->error.empty()) {
        mismatches.push_back({"unreadable", to_valid_utf8(have->path), have->error});
      } else if (std::string detail = describe_difference(*want, *have); !detail.empty()) {
        mismatches.push_back({"modified", to_valid_utf8(want->path), detail});
      }
      ++want;
      ++have;
    }
  }
  return mismatches;
}

namespace {

// For an inventory in its own file, the common case needs no parsing at all: the file is
// intact (inventory_sha256), its lines are the recorded tree (tree_sha256), and the outputs
// hash to that same tree. This checks the file (while the outputs are being hashed).
bool inventory_file_intact(const json& outputs, const MemberReader& read_member)
{
  auto member = [&](const char* key) {
    auto it = outputs.find(key);
    return it != outputs.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string path = member("inventory_path");
  if (member("tree_sha256").empty() || !is_clean_relative_path(path) || !path.starts_with("_runs/")) {
    return false;
  }
  std::optional<std::string> text = read_member(path);
  if (!text || sha256_hex(*text) != member("inventory_sha256")) {
    return false;
  }
  const size_t header_end = text->find('\n');
  if (header_end == std::string::npos) {
    return false;
  }
  json header = parse_json_bounded(std::string_view(*text).substr(0, header_end), false);
  return header.is_object() && header.find("format") != header.end() && header["format"] == "mdivicom.inventory.v1" &&
         sha256_hex(std::string_view(*text).substr(header_end + 1)) == member("tree_sha256");
}

bool tree_matches(const std::vector<InventoryEntry>& entries, const json& outputs)
{
  Sha256 tree;
  for (const auto& entry : entries) {
    tree.update(inventory_line(entry));
  }
  auto recorded = outputs.find("tree_sha256");
  return recorded != outputs.end() && recorded->is_string() && tree.hex_digest() == recorded->get<std::string>();
}

// Today's entries as the record would list them: without empty directories for a record made
// before they were recorded.
std::optional<std::vector<InventoryEntry>> without_unrecorded_dirs(std::optional<std::vector<InventoryEntry>> actual,
                                                                   const json& outputs)
{
  if (actual && !records_empty_dirs(outputs)) {
    drop_empty_dirs(*actual);
  }
  return actual;
}

// Why a record without an inventory has none, and what to do about it.
std::string unchecked_reason(const json& record)
{
  if (wrote_output_dir(record)) {
    return "its outputs were not inventoried (interrupted); run the plugin again to get a record that can be "
           "checked";
  }
  if (record.value("status", json()) == "running") {
    return "the run never finished (its runner was killed or the disk was full): its record has no inventory; "
           "run the plugin again with --overwrite to get a record that can be checked";
  }
  return "the record has no outputs inventory (written by an older mdivicom, or edited); nothing shows that the "
         "files are the ones the run wrote";
}

} // namespace

VerifyReport check_runs(const std::string& source, const std::vector<RecordFile>& records,
                        const MemberReader& read_member, const ActualReader& read_actual,
                        const std::set<size_t>& killed_parked)
{
  if (records.empty()) {
    throw usage_error("nothing to verify: " + source + " has no run records (_runs/<run_id>.json)");
  }
  VerifyReport report;
  report.source = source;
  LatestRuns latest; // keyed by the index into report.runs, which is the index into records
  for (const auto& file : records) {
    RunCheck check{file.run_id, file.name, {}, "no_inventory", {}, 0, {}};
    if (!file.error.empty()) {
      check.state = "bad_record";
      check.message = file.error;
    } else if (!file.record.contains("outputs")) {
      // It cannot be checked, but when it is the latest run of its directory it wrote the files
      // there (or was killed while writing them), so an earlier run's inventory no longer
      // describes them: it is reported "unchecked", which fails verify unless allowed.
      check.message = unchecked_reason(file.record);
      if (auto root = record_outputs_root(file.record); root && !killed_parked.contains(report.runs.size())) {
        check.root = *root;
        latest.offer(*root, report.runs.size(), record_run_order(file.run_id, file.record));
      }
    } else {
      auto root = record_outputs_root(file.record);
      if (!root || !file.record["outputs"].contains("root")) {
        check.state = "bad_record";
        check.message = "outputs.root is missing or not a clean relative path";
      } else {
        check.root = *root;
        check.state = "pending";
        latest.offer(*root, report.runs.size(), record_run_order(file.run_id, file.record));
      }
    }
    report.runs.push_back(std::move(check));
  }
  if (latest.empty() && report.ok()) {
    throw usage_error("nothing to verify: no run record in " + source +
                      " has an outputs inventory (only runs recorded by this mdivicom have one)");
  }
  for (size_t index = 0; index < report.runs.size(); ++index) {
    RunCheck& check = report.runs[index];
    if (check.state == "no_inventory" && !check.root.empty() && latest.is_latest(check.root, index)) {
      check.state = "unchecked";
      continue;
    }
    if (check.state != "pending") {
      continue;
    }
    if (!latest.is_latest(check.root, index)) {
      check.state = "superseded";
      check.message =
          "a run that finished later wrote " + check.root + "; only the latest run of a directory is checked";
      continue;
    }
    const json& outputs = records[index].record["outputs"];
    std::optional<std::vector<InventoryEntry>> actual;
    Result<std::vector<InventoryEntry>> expected = Failure{};
    if (outputs.contains("files")) {
      // Hashing the files (all cores) and reading the recorded list overlap.
      auto pending_actual = std::async(std::launch::async, read_actual, check.root);
      expected = recorded_inventory(outputs, read_member);
      actual = without_unrecorded_dirs(pending_actual.get(), outputs);
    } else {
      auto pending_actual = std::async(std::launch::async, read_actual, check.root);
      const bool intact = inventory_file_intact(outputs, read_member);
      actual = without_unrecorded_dirs(pending_actual.get(), outputs);
      if (intact && actual && tree_matches(*actual, outputs)) {
        check.entries_checked = actual->size();
        check.state = "ok";
        continue;
      }
      expected = recorded_inventory(outputs, read_member); // to say what differs, or what is damaged
    }
    if (!expected) {
      check.state = "bad_record";
      check.message = expected.error();
      continue;
    }
    if (!actual) {
      check.message = "the output directory " + check.root + " is missing";
      actual.emplace();
    }
    check.mismatches = compare_inventories(*expected, *actual);
    check.entries_checked = expected->size();
    check.state = check.mismatches.empty() ? "ok" : "mismatch";
  }
  return report;
}

} // namespace mdivicom
