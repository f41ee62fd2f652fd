#include <catch2/catch.hpp>

#include "core/records/rocrate.hpp"
#include "core/records/rocrate_update.hpp"
#include "core/hash/sha256.hpp"
#include "support/outputs_fixture.hpp"

#include <algorithm>
#include <set>

namespace fs = std::filesystem;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;
using mdivicom::test::write_run_record;
using nlohmann::json;

namespace {

std::map<std::string, json> entities_by_id(const json& crate)
{
  std::map<std::string, json> entities;
  for (const auto& entity : crate["@graph"]) {
    REQUIRE(entity.contains("@id"));
    REQUIRE(entity.contains("@type"));
    INFO(entity.dump());
    CHECK(entities.emplace(entity["@id"].get<std::string>(), entity).second); // ids are unique
  }
  return entities;
}

// Every {"@id": ...} reference inside the graph names an entity of the graph or an absolute IRI.
void check_references_resolve(const json& value, const std::map<std::string, json>& entities, bool top = true)
{
  if (value.is_object()) {
    if (!top && value.size() == 1 && value.contains("@id")) {
      std::string id = value["@id"];
      bool external = id.starts_with("http://") || id.starts_with("https://");
      INFO(id);
      CHECK((external || entities.contains(id)));
      return;
    }
    for (const auto& [key, item] : value.items()) {
      check_references_resolve(item, entities, false);
    }
  } else if (value.is_array()) {
    for (const auto& item : value) {
      check_references_resolve(item, entities, false);
    }
  }
}

bool lists(const json& value, const json& item)
{
  json list = value.is_array() ? value : json::array({value});
  return std::find(list.begin(), list.end(), item) != list.end();
}

} // namespace

TEST_CASE("the RO-Crate describes every run as a CreateAction of its plugin, with inputs and outputs",
          "[core][rocrate]")
{
  TempDir out;
  const std::string first = "20250101T000000Z_00000001";
  const std::string second = "20250102T000000Z_00000002";
  const std::string failed = "20250103T000000Z_00000003";
  write_file(out / "tracker/table.csv", "a,b\n");
  write_file(out / "tracker/nested dir/plot.svg", "<svg/>");
  write_run_record(out.path(), "tracker", first);
  write_run_record(out.path(), "tracker", second);
  write_file(out / "detector/events.tsv", "onset\n");
  auto record = write_run_record(out.path(), "detector", failed, 10'000, "failed");
  record["error"] = {{"type", "PluginError"}, {"message", "boom"}};
  record["container"] = {{"image", "localhost/detector:1"}, {"image_digest", "sha256:" + std::string(64, 'd')}};
  record["dataset"] = {
      {"mode", "full"}, {"path", "/data/session-1"}, {"fingerprint_sha256", std::string(64, 'f')}, {"total_bytes", 42}};
  write_file(out / "_runs" / (failed + ".json"), record.dump());
  write_file(out / "_runs" / "20250104T000000Z_00000004.json", "{ damaged");

  mdivicom::write_rocrate(out.path(), failed, record);
  json crate = json::parse(mdivicom::test::read_file(out / "ro-crate-metadata.json"));
  CHECK(crate == mdivicom::build_rocrate(out.path())); // deterministic

  CHECK(crate["@context"][0] == "https://w3id.org/ro/crate/1.1/context");
  auto entities = entities_by_id(crate);
  check_references_resolve(crate["@graph"], entities);

  const json& descriptor = entities.at("ro-crate-metadata.json");
  CHECK(descriptor["conformsTo"]["@id"] == "https://w3id.org/ro/crate/1.1");
  CHECK(descriptor["about"]["@id"] == "./");
  const json& root = entities.at("./");
  CHECK(root["@type"] == "Dataset");
  CHECK(lists(root["conformsTo"], json{{"@id", "https://w3id.org/ro/wfrun/process/0.5"}}));
  CHECK(entities.at("https://w3id.org/ro/wfrun/process/0.5")["version"] == "0.5");
  CHECK(root["mentions"].size() == 3);
  CHECK(root.contains("datePublished"));

  const json& run = entities.at("#run-" + second);
  CHECK(run["@type"] == "CreateAction");
  CHECK(run["actionStatus"]["@id"] == "http://schema.org/CompletedActionStatus");
  CHECK(run["startTime"] == "2025-01-01T00:00:01Z");
  CHECK(run["endTime"] == "2025-01-01T00:00:09Z");
  const json& app = entities.at(run["instrument"]["@id"].get<std::string>());
  CHECK(app["@type"] == "SoftwareApplication");
  CHECK(app["softwareVersion"] == "1.2.0");
  CHECK(app["identifier"] == "lab/tracker");
  CHECK(entities.at(app["publisher"]["@id"].get<std::string>())["name"] == "lab");
  std::set<std::string> object_types;
  for (const auto& item : run["object"]) {
    object_types.insert(entities.at(item["@id"].get<std::string>())["@type"].get<std::string>());
  }
  CHECK(object_types == std::set<std::string>{"Dataset", "PropertyValue"});
  REQUIRE(run["result"].size() == 2);
  const json& plot = entities.at("tracker/nested%20dir/plot.svg");
  CHECK(plot["@type"] == "File");
  CHECK(plot["sha256"] == mdivicom::sha256_hex("<svg/>"));
  CHECK(lists(root["hasPart"], json{{"@id", "tracker/"}}));

  // The first run's files were rewritten by the second: it points at the directory only.
  CHECK(entities.at("#run-" + first)["result"] == json::array({{{"@id", "tracker/"}}}));

  const json& bad = entities.at("#run-" + failed);
  CHECK(bad["actionStatus"]["@id"] == "http://schema.org/FailedActionStatus");
  CHECK(bad["error"] == "boom");
  const json& image = entities.at(bad["containerImage"]["@id"].get<std::string>());
  CHECK(image["@type"] == "ContainerImage");
  CHECK(image["sha256"] == std::string(64, 'd'));
  CHECK(image["name"] == "localhost/detector:1");
  bool dataset_by_fingerprint = false;
  for (const auto& item : bad["object"]) {
    const json& entity = entities.at(item["@id"].get<std::string>());
    dataset_by_fingerprint |= entity.value("identifier", "").find(std::string(64, 'f')) != std::string::npos;
  }
  CHECK(dataset_by_fingerprint);
}

TEST_CASE("the RO-Crate survives records with fields of the wrong kinds", "[core][rocrate]")
{
  TempDir out;
  write_file(out / "_runs/20250101T000000Z_00000001.json",
             R"({"plugin": "x", "status": 3, "dataset": {"mode": 5, "fingerprint_sha256": "abcd", "total_bytes": "big"},
                 "host": [], "container": {"image": 7, "image_digest": ["no"]}, "outputs": "nope", "error": "boom",
                 "started_at": 12, "config": null})");
  write_file(out / "_runs/20250101T000000Z_00000002.json", R"([1, 2, 3])");
  nlohmann::json crate;
  REQUIRE_NOTHROW(crate = mdivicom::build_rocrate(out.path()));
  auto entities = entities_by_id(crate);
  check_references_resolve(crate["@graph"], entities);
  CHECK(entities.count("#run-20250101T000000Z_00000001") == 1);
}

TEST_CASE("adding runs to the RO-Crate one at a time gives the crate built from all records", "[core][rocrate]")
{
  TempDir out;
  auto crate_file = [&] { return json::parse(mdivicom::test::read_file(out / "ro-crate-metadata.json")); };
  auto finish_run = [&](const std::string& root, const std::string& run_id, const std::string& file) {
    write_file(out / root / file, run_id);
    json record = write_run_record(out.path(), root, run_id);
    mdivicom::write_rocrate(out.path(), run_id, record);
    INFO("after " << run_id);
    CHECK(crate_file() == mdivicom::build_rocrate(out.path()));
    return record;
  };
  finish_run("tracker", "20250101T000000Z_00000001", "a.csv");
  finish_run("detector", "20250102T000000Z_00000002", "events.tsv");
  finish_run("tracker", "20250103T000000Z_00000003", "b.csv"); // takes the listing over from run 1
  auto entities = entities_by_id(crate_file());
  CHECK(entities.at("#run-20250101T000000Z_00000001")["result"] == json::array({{{"@id", "tracker/"}}}));
  CHECK(entities.at("#run-20250103T000000Z_00000003")["result"].size() == 2);

  // A run added late whose record says it finished before the latest one lists no files.
  json late =
      mdivicom::test::set_run_times(out.path(), write_run_record(out.path(), "tracker", "20250102T120000Z_00000004"),
                                    "2025-01-01T00:00:00.5Z", "2025-01-01T00:00:08.999999Z");
  mdivicom::write_rocrate(out.path(), "20250102T120000Z_00000004", late);
  CHECK(crate_file() == mdivicom::build_rocrate(out.path()));
  entities = entities_by_id(crate_file());
  CHECK(entities.at("#run-20250102T120000Z_00000004")["result"] == json::array({{{"@id", "tracker/"}}}));
  CHECK(entities.at("#run-20250103T000000Z_00000003")["result"].size() == 2);
  CHECK(entities.at("./")["mentions"].size() == 4);

  SECTION("a record the crate does not describe (its runner was killed) makes the next run rebuild it")
  {
    write_run_record(out.path(), "orphan", "20250104T000000Z_00000005", mdivicom::k_inventory_embed_limit, "running");
    finish_run("tracker", "20250105T000000Z_00000006", "c.csv");
    CHECK(entities_by_id(crate_file()).count("#run-20250104T000000Z_00000005") == 1);
  }
  SECTION("a damaged crate is built again from the records")
  {
    write_file(out / "ro-crate-metadata.json", "{ damaged");
    finish_run("detector", "20250105T000000Z_00000007", "more.tsv");
    CHECK(entities_by_id(crate_file()).at("./")["mentions"].size() == 5);
  }
}

TEST_CASE("a crate read while a run went on is read again when another run replaced it meanwhile", "[core][rocrate]")
{
  TempDir out;
  auto crate_file = [&] { return json::parse(mdivicom::test::read_file(out / "ro-crate-metadata.json")); };
  write_file(out / "tracker/a.csv", "1");
  json first = write_run_record(out.path(), "tracker", "20250101T000000Z_00000001");
  mdivicom::write_rocrate(out.path(), "20250101T000000Z_00000001", first);

  // A run starts (its update reads the crate), and another run into the same --out ends first.
  mdivicom::RoCrateUpdate slow(out.path(), "20250102T000000Z_00000002");
  write_file(out / "detector/e.tsv", "2");
  json other = write_run_record(out.path(), "detector", "20250102T000000Z_00000003");
  mdivicom::write_rocrate(out.path(), "20250102T000000Z_00000003", other);

  write_file(out / "tracker/b.csv", "3");
  json record = write_run_record(out.path(), "tracker", "20250102T000000Z_00000002");
  slow.add(record);
  slow.commit();
  CHECK(crate_file() == mdivicom::build_rocrate(out.path()));
  CHECK(entities_by_id(crate_file()).at("./")["mentions"].size() == 3);

  SECTION("an update destroyed before commit() writes nothing")
  {
    const std::string before = mdivicom::test::read_file(out / "ro-crate-metadata.json");
    {
      mdivicom::RoCrateUpdate abandoned(out.path(), "20250103T000000Z_00000004");
      abandoned.add(write_run_record(out.path(), "tracker", "20250103T000000Z_00000004"));
    }
    CHECK(mdivicom::test::read_file(out / "ro-crate-metadata.json") == before);
  }
}

TEST_CASE("of two runs in the same second, the one that finished last lists the files, whatever their ids",
          "[core][rocrate]")
{
  // Run ids resolve to one second and end in random hex digits: here the later run has the
  // smaller id. Its record's finished_at (microseconds) says it settled the directory last.
  const std::string earlier = "20250101T000000Z_c0000001";
  const std::string later = "20250101T000000Z_00000002";
  auto crate_file = [](const TempDir& out) {
    return json::parse(mdivicom::test::read_file(out / "ro-crate-metadata.json"));
  };
  auto run = [](const TempDir& out, const std::string& run_id, const std::string& content, const std::string& start,
                const std::string& end) {
    fs::remove_all(out / "tracker");
    write_file(out / "tracker/result.txt", content);
    return mdivicom::test::set_run_times(out.path(), write_run_record(out.path(), "tracker", run_id), start, end);
  };
  auto check_listing = [&](const json& crate) {
    auto entities = entities_by_id(crate);
    CHECK(entities.at("#run-" + earlier)["result"] == json::array({{{"@id", "tracker/"}}}));
    CHECK(entities.at("#run-" + later)["result"] == json::array({{{"@id", "tracker/result.txt"}}}));
    CHECK(entities.at("tracker/result.txt")["sha256"] == mdivicom::sha256_hex("second"));
  };

  SECTION("built from the records")
  {
    TempDir out;
    run(out, earlier, "first", "2025-01-01T00:00:00.100000Z", "2025-01-01T00:00:00.400000Z");
    run(out, later, "second", "2025-01-01T00:00:00.500000Z", "2025-01-01T00:00:00.900000Z");
    check_listing(mdivicom::build_rocrate(out.path()));
  }
  SECTION("updated one run at a time, in the order the runs ended")
  {
    TempDir out;
    json first = run(out, earlier, "first", "2025-01-01T00:00:00.100000Z", "2025-01-01T00:00:00.400000Z");
    mdivicom::write_rocrate(out.path(), earlier, first);
    json second = run(out, later, "second", "2025-01-01T00:00:00.500000Z", "2025-01-01T00:00:00.900000Z");
    mdivicom::write_rocrate(out.path(), later, second);
    CHECK(crate_file(out) == mdivicom::build_rocrate(out.path()));
    check_listing(crate_file(out));
  }
  SECTION("updated one run at a time, the later run first (its crate update came first)")
  {
    TempDir out;
    json first = run(out, earlier, "first", "2025-01-01T00:00:00.100000Z", "2025-01-01T00:00:00.400000Z");
    fs::rename(out / "_runs" / (earlier + ".json"), out / "first.json"); // back for its own update
    json second = run(out, later, "second", "2025-01-01T00:00:00.500000Z", "2025-01-01T00:00:00.900000Z");
    mdivicom::write_rocrate(out.path(), later, second);
    fs::rename(out / "first.json", out / "_runs" / (earlier + ".json"));
    mdivicom::write_rocrate(out.path(), earlier, first);
    CHECK(crate_file(out) == mdivicom::build_rocrate(out.path()));
    check_listing(crate_file(out));
  }
  SECTION("times with an offset and other precisions compare as instants")
  {
    TempDir out;
    run(out, earlier, "first", "2025-01-01T01:00:00.1+01:00", "2025-01-01T01:00:00.4+01:00");
    run(out, later, "second", "2025-01-01T00:00:00.5Z", "2025-01-01T00:00:00.9Z");
    check_listing(mdivicom::build_rocrate(out.path()));
  }
}
