#include "core/records/rocrate_builder.hpp"

#include "core/util/fs.hpp"
#include "core/records/inventory.hpp"
#include "core/records/inventory_parse.hpp"
#include "core/records/run_order.hpp"
#include "core/records/scan.hpp"
#include "core/hash/sha256.hpp"
#include "core/util/text_bytes.hpp"
#include "core/util/utf8.hpp"

namespace mdivicom {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* k_schema = "http://schema.org/";

json id_ref(const std::string& id)
{
  return {{"@id", id}};
}

std::string fragment_id(const std::string& prefix, const std::string& name)
{
  return "#" + prefix + "-" + percent_encode_path(name);
}

std::string action_status(const std::string& status)
{
  if (status == "succeeded") {
    return std::string(k_schema) + "CompletedActionStatus";
  }
  if (status == "running") {
    return std::string(k_schema) + "ActiveActionStatus";
  }
  return std::string(k_schema) + "FailedActionStatus";
}

// An image digest ("sha256:<hex>") from the container facts, whichever key the lane used.
std::string image_digest(const json& container, std::string& name)
{
  if (!container.is_object()) {
    return {};
  }
  json image = container.value("image", json());
  if (image.is_string()) {
    name = image.get<std::string>();
  } else if (image.is_object()) {
    name = text_of(image, "name");
    for (const char* key : {"digest", "repo_digest", "id"}) {
      if (std::string value = text_of(image, key); !value.empty()) {
        return value;
      }
    }
  }
  for (const char* key : {"image_digest", "repo_digest", "image_id"}) {
    if (std::string value = text_of(container, key); !value.empty()) {
      return value;
    }
  }
  return {};
}

std::string add_application(CrateBuilder& crate, const json& plugin)
{
  const std::string id = text_of(plugin, "id");
  const std::string publisher = text_of(plugin, "publisher");
  const std::string version = text_of(plugin, "version");
  const std::string identifier = publisher.empty() ? id : publisher + "/" + id;
  std::string app_id = fragment_id("plugin", identifier + "@" + version);
  if (!crate.has(app_id)) {
    json app = {{"@id", app_id},
                {"@type", "SoftwareApplication"},
                {"name", id},
                {"identifier", identifier},
                {"softwareVersion", version}};
    if (!publisher.empty()) {
      std::string publisher_id = fragment_id("publisher", publisher);
      crate.add({{"@id", publisher_id}, {"@type", "Organization"}, {"name", publisher}});
      app["publisher"] = id_ref(publisher_id);
    }
    crate.add(std::move(app));
  }
  return app_id;
}

std::string add_dataset(CrateBuilder& crate, const json& record)
{
  const json identity = record.value("dataset", json::object());
  const std::string path = record.contains("dataset_dir") ? text_of(record, "dataset_dir") : text_of(identity, "path");
  const std::string fingerprint = identity.is_object() ? text_of(identity, "fingerprint_sha256") : std::string();
  std::string id =
      fragment_id("dataset", fingerprint.empty() ? sha256_hex(path).substr(0, 16) : fingerprint.substr(0, 16));
  if (!crate.has(id)) {
    json dataset = {{"@id", id},
                    {"@type", "Dataset"},
                    {"name", fs::path(path).filename().string()},
                    {"url", "file://" + percent_encode_path(path)}};
    if (!fingerprint.empty()) {
      std::string mode = text_of(identity, "mode");
      dataset["identifier"] =
          "mdivicom-fingerprint-" + (mode.empty() ? std::string("full") : mode) + ":sha256:" + fingerprint;
      if (auto bytes = identity.find("total_bytes"); bytes != identity.end() && bytes->is_number_unsigned()) {
        dataset["contentSize"] = std::to_string(bytes->get<uint64_t>());
      }
    }
    crate.add(std::move(dataset));
  }
  return id;
}

// The run's results: every inventoried file, or the directory as a whole.
json add_results(CrateBuilder& crate, json& root_parts, const json& record, const std::string& root, bool list_files)
{
  const std::string dir_id = output_dir_id(root);
  if (!crate.has(dir_id)) {
    crate.add({{"@id", dir_id}, {"@type", "Dataset"}, {"name", root}, {"hasPart", json::array()}});
    root_parts.push_back(id_ref(dir_id));
  }
  // Without an inventory (it was interrupted) the run's result is the directory itself.
  if (!list_files || !record.contains("outputs") || !record["outputs"].contains("files") ||
      !record["outputs"]["files"].is_array()) {
    return json::array({id_ref(dir_id)});
  }
  const json& outputs = record["outputs"];
  json results = json::array();
  for (const auto& value : outputs["files"]) {
    auto entry = entry_from_json(value);
    if (!entry || entry->type != EntryType::file || entry->sha256.empty()) {
      continue;
    }
    const std::string file_id = percent_encode_path(root + "/" + entry->path);
    crate.add({{"@id", file_id},
               {"@type", "File"},
               {"name", to_valid_utf8(fs::path(entry->path).filename().string())},
               {"contentSize", std::to_string(entry->size)},
               {"sha256", entry->sha256}});
    crate.at(dir_id)["hasPart"].push_back(id_ref(file_id));
    results.push_back(id_ref(file_id));
  }
  // An empty output directory is itself the result.
  return results.empty() ? json::array({id_ref(dir_id)}) : results;
}

} // namespace

std::string text_of(const json& object, const char* key)
{
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string run_action_id(const std::string& run_id)
{
  return fragment_id("run", run_id);
}

std::string output_dir_id(const std::string& root)
{
  return percent_encode_path(root) + "/";
}

json CrateBuilder::finish(json root)
{
  json graph = json::array();
  graph.push_back({{"@id", "ro-crate-metadata.json"},
                   {"@type", "CreativeWork"},
                   {"conformsTo", id_ref("https://w3id.org/ro/crate/1.1")},
                   {"about", id_ref("./")}});
  graph.push_back(std::move(root));
  graph.push_back(
      {{"@id", k_process_run_profile}, {"@type", "CreativeWork"}, {"name", "Process Run Crate"}, {"version", "0.5"}});
  for (auto& [id, entity] : m_entities) {
    graph.push_back(std::move(entity));
  }
  return {{"@context", {"https://w3id.org/ro/crate/1.1/context", "https://w3id.org/ro/terms/workflow-run/context"}},
          {"@graph", std::move(graph)}};
}

// One run as a CreateAction with its plugin, dataset, config, agent and image. list_files: the
// run is the latest to write its output directory, so its files are listed.
void add_run(CrateBuilder& crate, CrateRuns& runs, const std::string& run_id, const json& record, bool list_files)
{
  const std::string action_id = run_action_id(run_id);
  json action = {
      {"@id", action_id},
      {"@type", "CreateAction"},
      {"name", "mdivicom run " + text_of(record.value("plugin", json::object()), "id") + " (" + run_id + ")"},
      {"instrument", id_ref(add_application(crate, record.value("plugin", json::object())))},
      {"actionStatus", id_ref(action_status(text_of(record, "status")))}};
  json objects = json::array({id_ref(add_dataset(crate, record))});
  if (record.contains("config")) {
    std::string config_id = fragment_id("config", run_id);
    crate.add({{"@id", config_id},
               {"@type", "PropertyValue"},
               {"name", "config"},
               {"value", record["config"].dump()},
               {"identifier", "sha256:" + text_of(record, "config_hash_sha256")}});
    objects.push_back(id_ref(config_id));
  }
  action["object"] = std::move(objects);
  // The times that order the runs of a directory (run_order.hpp): the incremental update
  // reads them back from here.
  if (std::string started = record_started_at(record); !started.empty()) {
    action["startTime"] = started;
  }
  if (std::string finished = text_of(record, "finished_at"); !finished.empty()) {
    action["endTime"] = finished;
    runs.published = std::max(runs.published, finished);
  }
  if (record.contains("error") && record["error"].is_object()) {
    action["error"] = text_of(record["error"], "message");
  }
  if (wrote_output_dir(record)) {
    if (auto root = record_outputs_root(record)) {
      action["result"] = add_results(crate, runs.parts, record, *root, list_files);
    }
  }
  if (std::string user = text_of(record.value("host", json::object()), "user"); !user.empty()) {
    std::string agent_id = fragment_id("user", user);
    crate.add({{"@id", agent_id}, {"@type", "Person"}, {"name", user}});
    action["agent"] = id_ref(agent_id);
  }
  std::string image_name;
  if (std::string digest = image_digest(record.value("container", json()), image_name); !digest.empty()) {
    std::string hex = digest.starts_with("sha256:") ? digest.substr(7) : digest;
    if (size_t at = hex.find("@sha256:"); at != std::string::npos) {
      hex = hex.substr(at + 8);
    }
    std::string image_id = fragment_id("image", hex.substr(0, 16));
    crate.add({{"@id", image_id},
               {"@type", "ContainerImage"},
               {"additionalType", id_ref("https://w3id.org/ro/terms/workflow-run#DockerImage")},
               {"name", image_name},
               {"sha256", hex}});
    action["containerImage"] = id_ref(image_id);
  }
  crate.add(std::move(action));
  runs.actions.push_back(id_ref(action_id));
}

json finish_crate(CrateBuilder& crate, CrateRuns& runs, const fs::path& out_root)
{
  json root = {
      {"@id", "./"},
      {"@type", "Dataset"},
      {"name", "mdivicom runs in " + out_root.filename().string()},
      {"description", "Outputs and provenance of " + std::to_string(runs.actions.size()) + " mdivicom plugin runs"},
      {"datePublished", runs.published},
      {"conformsTo", json::array({id_ref(k_process_run_profile)})},
      {"hasPart", std::move(runs.parts)},
      {"mentions", std::move(runs.actions)}};
  return crate.finish(std::move(root));
}

} // namespace mdivicom
