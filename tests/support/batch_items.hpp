#pragma once

// The item of a batch record (O/_batches/<id>.json) with this name; fails the test when absent.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

namespace mdivicom::test {

inline const nlohmann::json& item_named(const nlohmann::json& record, const std::string& name)
{
  for (const nlohmann::json& item : record["items"]) {
    if (item["item"] == name) {
      return item;
    }
  }
  FAIL("no item " << name << " in " << record.dump(2));
  return record;
}

} // namespace mdivicom::test
