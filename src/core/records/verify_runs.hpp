#pragma once

// Internals shared by the two verify sources (a directory, a pack).

#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/records/inventory.hpp"
#include "core/records/scan.hpp"
#include "core/records/verify.hpp"

namespace mdivicom {

// Reads a file of the out root by relative path ("_runs/x.inventory.jsonl"), or nullopt.
using MemberReader = std::function<std::optional<std::string>(const std::string&)>;
// The current inventory of an output root (relative to the out root), or nullopt if absent.
using ActualReader = std::function<std::optional<std::vector<InventoryEntry>>(const std::string&)>;

// The inventory a record's "outputs" holds (embedded, or in its .inventory.jsonl), checked
// against the record's tree_sha256 and inventory_sha256; a Failure says how it is damaged.
Result<std::vector<InventoryEntry>> recorded_inventory(const nlohmann::json& outputs, const MemberReader& read_member);

// What differs between a recorded inventory and today's, both sorted by path.
std::vector<Mismatch> compare_inventories(const std::vector<InventoryEntry>& expected,
                                          const std::vector<InventoryEntry>& actual);

// Checks each record's recorded inventory (made tamper-evident by tree_sha256 and
// inventory_sha256) against read_actual(root), for the latest run of each root.
// `killed_parked`: indexes of records of killed runs whose parked outputs are still in place;
// they do not count as the latest run of their directory (the run before them is checked).
VerifyReport check_runs(const std::string& source, const std::vector<RecordFile>& records,
                        const MemberReader& read_member, const ActualReader& read_actual,
                        const std::set<size_t>& killed_parked = {});

} // namespace mdivicom
