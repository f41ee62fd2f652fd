#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "core/records/inventory.hpp"
#include "core/util/error.hpp"

namespace mdivicom {

// The entry entry_to_json() wrote, read back (verify, RO-Crate); a Failure names what is wrong.
Result<InventoryEntry> entry_from_json(const nlohmann::json& value);
// The same from one line of an .inventory.jsonl file, without building a JSON document (an
// inventory of a million files is read line by line in bounded memory per entry).
Result<InventoryEntry> parse_inventory_line(std::string_view line);

} // namespace mdivicom
