// One line of an .inventory.jsonl file (verify reads them line by line) and the same entry as a
// JSON value of a run record: what parses must write back to the same entry.
#include "core/records/inventory.hpp"
#include "core/records/inventory_parse.hpp"

#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace mdivicom;
  std::string_view line = fuzz::as_text(data, size);
  auto entry = parse_inventory_line(line);
  auto value = nlohmann::json::parse(line, nullptr, false);
  if (!value.is_discarded()) {
    auto from_value = entry_from_json(value);
    if (from_value && entry) {
      MDIVICOM_FUZZ_CHECK(*from_value == *entry, line);
    }
  }
  if (!entry) {
    return 0;
  }
  std::string written = inventory_line(*entry);
  // The fast writer must equal the JSON library's: the tree hash is taken over these lines.
  MDIVICOM_FUZZ_CHECK(written == entry_to_json(*entry).dump() + "\n", written);
  auto again = parse_inventory_line(written);
  MDIVICOM_FUZZ_CHECK(again.ok() && *again == *entry, written);
  auto from_json = entry_from_json(entry_to_json(*entry));
  MDIVICOM_FUZZ_CHECK(from_json.ok() && *from_json == *entry, written);
  return 0;
}
