// Which run of an output directory is the latest, with real runs: run ids resolve to one
// second, so two runs in the same second must be ordered by their records' times.

#include <catch2/catch.hpp>

#include "core/records/rocrate.hpp"
#include "core/records/rocrate_update.hpp"
#include "core/hash/sha256.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

using mdivicom::test::CommandOptions;
using mdivicom::test::CommandResult;
using mdivicom::test::read_file;
using mdivicom::test::run_mdivicom;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;
using nlohmann::json;

namespace fs = std::filesystem;

namespace {

// A Python plugin "stamp" (manifest and module side by side) that writes its config's text
// into result.txt, and a dataset.
struct Workspace
{
  TempDir root;
  fs::path dataset = root / "dataset";
  fs::path out = root / "out";
  CommandOptions options;

  Workspace()
  {
    json meta = {{"api_version", "mdivicomtools.plugin.v0.1"},
                 {"id", "stamp"},
                 {"kind", "python"},
                 {"version", "1.0.0"},
                 {"description", "writes its config's text"}};
    write_file(root / "plugins" / "stamp.json",
               json({{"meta", meta}, {"entry", {{"callable", "stamp_mod:run"}, {"python_path", {"."}}}}}).dump());
    write_file(root / "plugins" / "stamp_mod.py",
               "import os\ndef run(out_dir, config, **kw):\n"
               "    open(os.path.join(out_dir, 'result.txt'), 'w').write(config['text'])\n");
    write_file(dataset / "sessions" / "ses-01" / "raw" / "gaze" / "g.csv", "t,x\n0,1\n");
    options.env = {{"MDIVICOM_PLUGIN_PATH", (root / "plugins").string()},
                   {"XDG_DATA_HOME", (root / "xdg").string()},
                   {"XDG_CACHE_HOME", (root / "cache").string()},
                   {"MDIVICOM_DEV_PLUGIN_ROOTS", mdivicom::test::k_unset},
                   {"VIRTUAL_ENV", mdivicom::test::k_unset},
                   {"MDIVICOM_PYTHON_ENV", mdivicom::test::k_unset},
                   {"PYTHONPATH", mdivicom::test::k_unset}};
  }

  // Runs the plugin and returns the new run's id.
  std::string run(const std::string& text, bool overwrite)
  {
    std::vector<std::string> args = {"run",        "stamp",          "-q",
                                     "--dataset",  dataset.string(), "--out",
                                     out.string(), "--config",       json({{"text", text}}).dump()};
    if (overwrite) {
      args.push_back("--overwrite");
    }
    std::set<std::string> before = run_ids();
    CommandResult result = run_mdivicom(args, options);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    std::set<std::string> after = run_ids();
    for (const auto& id : before) {
      after.erase(id);
    }
    REQUIRE(after.size() == 1);
    return *after.begin();
  }

  std::set<std::string> run_ids() const
  {
    std::set<std::string> ids;
    std::error_code error;
    for (const auto& item : fs::directory_iterator(out / "_runs", error)) {
      if (item.path().extension() == ".json") {
        ids.insert(item.path().stem().string());
      }
    }
    return ids;
  }
};

// Waits for the start of the next second of the wall clock (run ids are made of it).
void wait_for_next_second()
{
  auto now = std::chrono::system_clock::now();
  std::this_thread::sleep_until(std::chrono::ceil<std::chrono::seconds>(now) + std::chrono::milliseconds(5));
}

// Gives a run a new id (its record file, log and the record's run_id and log_path).
void rename_run(const fs::path& out, const std::string& from, const std::string& to)
{
  json record = json::parse(read_file(out / "_runs" / (from + ".json")));
  record["run_id"] = to;
  record["log_path"] = (out / "_runs" / (to + ".log")).string();
  write_file(out / "_runs" / (to + ".json"), record.dump(2));
  fs::remove(out / "_runs" / (from + ".json"));
  fs::rename(out / "_runs" / (from + ".log"), out / "_runs" / (to + ".log"));
}

} // namespace

TEST_CASE("two real runs into one output directory in the same second: the one that finished last is the latest",
          "[cli][verify][rocrate]")
{
  Workspace ws;
  std::string earlier;
  std::string later;
  // Two runs take well under a second; a loaded machine may still cross a second: try again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    fs::remove_all(ws.out);
    wait_for_next_second();
    const std::string first = ws.run("first", false);
    // The random part of an id orders runs of the same second: give the earlier run the
    // larger one, as chance does for half of such pairs. Its crate is built again so that the
    // second run adds itself to a crate that names it by that id.
    earlier = first.substr(0, 17) + "ffffffff";
    rename_run(ws.out, first, earlier);
    fs::remove(ws.out / "ro-crate-metadata.json");
    mdivicom::write_rocrate(ws.out, earlier, json::parse(read_file(ws.out / "_runs" / (earlier + ".json"))));
    later = ws.run("second", true);
    if (later.substr(0, 16) == earlier.substr(0, 16)) {
      break;
    }
  }
  REQUIRE(later.substr(0, 16) == earlier.substr(0, 16));
  REQUIRE(earlier > later);

  CommandResult verified = run_mdivicom({"verify", ws.out.string(), "--json"}, ws.options);
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  json report = json::parse(verified.out);
  REQUIRE(report["runs"].size() == 2);
  CHECK(report["runs"][0]["run_id"] == later);
  CHECK(report["runs"][0]["state"] == "ok");
  CHECK(report["runs"][1]["run_id"] == earlier);
  CHECK(report["runs"][1]["state"] == "superseded");

  // The crate the second run updated (one run added), and the crate built from all records.
  json crate = json::parse(read_file(ws.out / "ro-crate-metadata.json"));
  CHECK(crate == mdivicom::build_rocrate(ws.out));
  std::map<std::string, json> entities;
  for (const auto& entity : crate["@graph"]) {
    entities[entity["@id"].get<std::string>()] = entity;
  }
  CHECK(entities.at("#run-" + later)["result"] ==
        json::array({{{"@id", "stamp/provenance.json"}}, {{"@id", "stamp/result.txt"}}}));
  CHECK(entities.at("#run-" + earlier)["result"] == json::array({{{"@id", "stamp/"}}}));
  CHECK(entities.at("stamp/result.txt")["sha256"] == mdivicom::sha256_hex("second"));
}
