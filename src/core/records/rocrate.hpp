#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace mdivicom {

// The RO-Crate 1.1 metadata (Process Run Crate profile 0.5, https://w3id.org/ro/wfrun/process/0.5)
// describing every run recorded under out_root/_runs/:
// - each plugin version as a SoftwareApplication (name, identifier publisher/id, version,
//   publisher as an Organization);
// - each run as a CreateAction: instrument = the plugin; object = the dataset (a Dataset
//   entity keyed by its fingerprint, or its path) and the config (a PropertyValue with the
//   canonical JSON and its hash); result = the output files of its inventory (File entities
//   with contentSize and sha256), or the output directory when the inventory lives in its
//   own file or a run that finished later rewrote the directory (core/records/run_order.hpp);
//   startTime, endTime; actionStatus
//   Completed/Failed/Active; error; agent = the user; containerImage when the record
//   names an image digest.
// The output is deterministic for the same records (no "now" in it), so packs stay
// reproducible. Damaged records are skipped (verify reports them).
nlohmann::json build_rocrate(const std::filesystem::path& out_root);

} // namespace mdivicom
