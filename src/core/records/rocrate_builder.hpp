#pragma once

// The pieces of an RO-Crate that rocrate.cpp (a crate built from every record) and
// rocrate_update.cpp (one run added to an existing crate) share.

#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace mdivicom {

using nlohmann::json;

inline constexpr const char* k_process_run_profile = "https://w3id.org/ro/wfrun/process/0.5";

// Entities by @id, written sorted by id: the same records give the same bytes.
class CrateBuilder
{
public:
  void add(json entity)
  {
    std::string id = entity["@id"].get<std::string>(); // before the move below
    m_entities[id] = std::move(entity);
  }
  bool has(const std::string& id) const { return m_entities.contains(id); }
  json& at(const std::string& id) { return m_entities.at(id); }
  void erase(const std::string& id) { m_entities.erase(id); }
  std::map<std::string, json>& entities() { return m_entities; }

  // The crate around `root`, every entity added after it in id order.
  json finish(json root);

private:
  std::map<std::string, json> m_entities;
};

// What the root entity gathers across runs.
struct CrateRuns
{
  json parts = json::array();   // output directories
  json actions = json::array(); // runs, in run id order
  std::string published = "1970-01-01T00:00:00Z";
};

// object[key] when it is a string, else "": records and crates are read without trusting them.
std::string text_of(const json& object, const char* key);

// "#run-<run_id>", the @id of a run's CreateAction; sorts as run ids sort.
std::string run_action_id(const std::string& run_id);

// "<root>/": the @id of an output directory.
std::string output_dir_id(const std::string& root);

// One run as a CreateAction with its plugin, dataset, config, agent and image. list_files: the
// run is the latest to write its output directory, so its files are listed; otherwise its
// result is the directory.
void add_run(CrateBuilder& crate, CrateRuns& runs, const std::string& run_id, const json& record, bool list_files);

// The whole crate: descriptor, root dataset (parts, runs), profile and every entity.
json finish_crate(CrateBuilder& crate, CrateRuns& runs, const std::filesystem::path& out_root);

} // namespace mdivicom
