// A run record file O/_runs/<run_id>.json, read as verify and the RO-Crate read records: parsed,
// checked against the record schema, its output directory and order taken, its inventory
// entries read, and a crate built from it.
#include "core/records/inventory.hpp"
#include "core/records/inventory_parse.hpp"
#include "core/util/fs.hpp"
#include "core/json/schema.hpp"
#include "core/records/scan.hpp"
#include "core/records/rocrate_builder.hpp"
#include "core/records/run_order.hpp"

#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace mdivicom;
  std::string text(fuzz::as_text(data, size));
  RecordFile file = parse_record("_runs/20261207T160000Z_0123abcd.json", text);
  if (!file.error.empty()) {
    return 0;
  }
  const json& record = file.record;
  (void)JsonSchema::builtin("run-record").validate(record);
  auto root = record_outputs_root(record);
  if (root) {
    MDIVICOM_FUZZ_CHECK(is_clean_relative_path(*root), *root);
  }
  (void)wrote_output_dir(record);
  RunOrder order = record_run_order(file.run_id, record);
  LatestRuns latest;
  latest.offer(root.value_or(""), 0, order);
  const json* files = nullptr;
  if (record.contains("outputs") && record["outputs"].is_object() && record["outputs"].contains("files")) {
    files = &record["outputs"]["files"];
  }
  if (files != nullptr && files->is_array()) {
    for (const auto& value : *files) {
      (void)entry_from_json(value);
    }
  }
  CrateBuilder crate;
  CrateRuns runs;
  add_run(crate, runs, file.run_id, record, root.has_value());
  (void)finish_crate(crate, runs, "/out").dump(-1, ' ', false, json::error_handler_t::replace);
  return 0;
}
