#include "core/rocrate.hpp"
#include "core/rocrate_builder.hpp"

#include "core/fs_util.hpp"
#include "core/record_scan.hpp"
#include "core/text_bytes.hpp"
#include "core/tree_walk.hpp"

#include <algorithm>
#include <cerrno>
#include <optional>
#include <set>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

// Adding one run to the crate without reading every record: rebuilding from all records made
// each run cost more than the one before (80 records: 25 ms; 10,000: seconds).
namespace mdivicom {

namespace fs = std::filesystem;

namespace {

// The run that lists the files of output directory dir_id (the latest to write it), or "".
std::string listing_run(CrateBuilder& crate, const std::string& dir_id)
{
  if (!crate.has(dir_id)) {
    return {};
  }
  std::set<std::string> refs = {dir_id};
  for (const auto& part : crate.at(dir_id).value("hasPart", json::array())) {
    refs.insert(text_of(part, "@id"));
  }
  std::string latest;
  for (auto& [id, entity] : crate.entities()) {
    if (entity.value("@type", "") != "CreateAction" || !entity.contains("result") || !entity["result"].is_array()) {
      continue;
    }
    for (const auto& ref : entity["result"]) {
      if (refs.contains(text_of(ref, "@id"))) {
        latest = std::max(latest, id);
        break;
      }
    }
  }
  return latest;
}

// The crate with one more run, or nullopt when `existing` is not a crate as this code writes
// them or already names the run.
std::optional<json> add_run_to_crate(const json& existing, const fs::path& out_root, const std::string& run_id,
                                     const json& record)
{
  if (!existing.is_object() || !existing.contains("@graph") || !existing["@graph"].is_array()) {
    return std::nullopt;
  }
  CrateBuilder crate;
  json root;
  for (const auto& entity : existing["@graph"]) {
    std::string id = entity.is_object() ? text_of(entity, "@id") : std::string();
    if (id.empty()) {
      return std::nullopt;
    }
    if (id == "./") {
      root = entity;
    } else if (id != "ro-crate-metadata.json" && id != k_process_run_profile) {
      crate.add(entity);
    }
  }
  if (!root.is_object() || !root.value("hasPart", json()).is_array() || !root.value("mentions", json()).is_array() ||
      !root.value("datePublished", json()).is_string() || crate.has(run_action_id(run_id))) {
    return std::nullopt;
  }
  CrateRuns runs{root["hasPart"], root["mentions"], root["datePublished"].get<std::string>()};

  bool list_files = true;
  auto outputs_root = record.contains("outputs") ? record_outputs_root(record) : std::nullopt;
  if (outputs_root) {
    const std::string dir_id = output_dir_id(*outputs_root);
    std::string previous = listing_run(crate, dir_id);
    if (previous > run_action_id(run_id)) {
      list_files = false; // a run that started later has already finished into the directory
    } else if (!previous.empty()) {
      // The directory now holds this run's files: the previous run's result becomes the directory.
      for (const auto& part : crate.at(dir_id)["hasPart"]) {
        crate.erase(text_of(part, "@id"));
      }
      crate.at(dir_id)["hasPart"] = json::array();
      crate.at(previous)["result"] = json::array({{{"@id", dir_id}}});
    }
  }
  add_run(crate, runs, run_id, record, list_files);
  // In run id order, as a crate built from every record has them.
  std::sort(runs.actions.begin(), runs.actions.end(),
            [](const json& a, const json& b) { return text_of(a, "@id") < text_of(b, "@id"); });
  return finish_crate(crate, runs, out_root);
}

size_t count_record_files(const fs::path& out_root)
{
  size_t count = 0;
  std::error_code error;
  for (const auto& item : fs::directory_iterator(out_root / "_runs", error)) {
    count += is_record_file_name(item.path().filename().string()) ? 1 : 0;
  }
  return count;
}

// An exclusive flock, released when the descriptor closes: two runs finishing into one out
// root take turns. Without the lock file (a read-only out root) the crate is written anyway.
UniqueFd lock_crate(const fs::path& path)
{
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  while (fd && ::flock(fd.get(), LOCK_EX) != 0 && errno == EINTR) {
  }
  return fd;
}

} // namespace

void write_rocrate(const fs::path& out_root, const std::string& run_id, const json& record)
{
  UniqueFd lock = lock_crate(out_root / "_runs" / ".ro-crate.lock");
  const fs::path path = out_root / "ro-crate-metadata.json";
  std::optional<json> crate;
  try {
    crate = add_run_to_crate(json::parse(read_file(path)), out_root, run_id, record);
  } catch (const std::exception&) {
    crate.reset(); // missing or damaged: built again from the records
  }
  // Every record must be in it once: a run whose runner died, or a crate edited by hand, is
  // caught here and the crate is built again.
  if (crate && (*crate)["@graph"][1]["mentions"].size() != count_record_files(out_root)) {
    crate.reset();
  }
  if (!crate) {
    crate = build_rocrate(out_root);
  }
  write_file_atomic(path, json_file_text(*crate), Durability::atomic); // rebuilt from the records if lost
}

} // namespace mdivicom
