#include "core/records/rocrate.hpp"

#include "core/records/rocrate_builder.hpp"
#include "core/records/run_order.hpp"
#include "core/records/scan.hpp"

namespace mdivicom {

namespace fs = std::filesystem;

json build_rocrate(const fs::path& out_root)
{
  std::vector<RecordFile> records = scan_run_records(out_root);
  LatestRuns latest;
  for (size_t index = 0; index < records.size(); ++index) {
    const RecordFile& file = records[index];
    if (file.error.empty() && wrote_output_dir(file.record)) {
      if (auto root = record_outputs_root(file.record)) {
        latest.offer(*root, index, record_run_order(file.run_id, file.record));
      }
    }
  }
  CrateBuilder crate;
  CrateRuns runs;
  for (size_t index = 0; index < records.size(); ++index) {
    const RecordFile& file = records[index];
    if (!file.error.empty()) {
      continue;
    }
    auto root = record_outputs_root(file.record);
    add_run(crate, runs, file.run_id, file.record, root && latest.is_latest(*root, index));
  }
  return finish_crate(crate, runs, out_root);
}

} // namespace mdivicom
