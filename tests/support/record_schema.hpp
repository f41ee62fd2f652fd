#pragma once

// Run records are checked against schemas/run-record.schema.json here, in the tests, and not
// by mdivicom at every run: compiling and applying the schema cost each run ~1 ms of CPU.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/json/schema.hpp"

namespace mdivicom::test {

inline void check_record_schema(const nlohmann::json& record)
{
  for (const auto& violation : JsonSchema::builtin("run-record").validate(record)) {
    FAIL_CHECK("run record breaks its schema at " << violation.pointer << ": " << violation.message);
  }
}

} // namespace mdivicom::test
