#pragma once

// A container plugin run through the mdivicom binary, for the container lane's CLI tests.

#include "container/support.hpp"
#include "support/process.hpp"
#include "support/record_schema.hpp"

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom::test {

// A manifest directory with one container plugin "ctr-cli" running `sh -c script` in the test
// image (entry members in `entry` replace or add to that), a dataset and an output root.
struct CliSetup
{
  TempDir temp;
  std::filesystem::path manifests = temp / "manifests";
  std::filesystem::path dataset = temp / "dataset";
  std::filesystem::path out = temp / "out";

  explicit CliSetup(const std::string& script, const nlohmann::json& entry = nlohmann::json::object())
  {
    std::filesystem::create_directories(manifests);
    std::filesystem::create_directories(dataset);
    write_file(dataset / "a.txt", "a\n");
    nlohmann::json manifest = {
        {"meta",
         {{"api_version", "mdivicomtools.plugin.v0.1"},
          {"id", "ctr-cli"},
          {"kind", "container"},
          {"version", "0.2.0"},
          {"description", "container CLI test"}}},
        {"entry", {{"image", k_test_image}, {"argv", {"sh", "-c", script}}}},
    };
    manifest["entry"].update(entry);
    write_file(manifests / "ctr-cli.json", manifest.dump());
  }

  CommandResult run(const TestEngine& engine, std::vector<std::string> extra = {}, CommandOptions options = {})
  {
    std::vector<std::string> args = {"run",       "ctr-cli",    "--dataset", dataset.string(),
                                     "--out",     out.string(), "--engine",  engine.engine_option(),
                                     "--backend", engine.name};
    args.insert(args.end(), extra.begin(), extra.end());
    options.env["MDIVICOM_PLUGIN_PATH"] = manifests.string();
    return run_mdivicom(args, options);
  }

  nlohmann::json record() const
  {
    for (const auto& file : std::filesystem::directory_iterator(out / "_runs")) {
      if (file.path().extension() == ".json") {
        auto record = nlohmann::json::parse(read_file(file.path()));
        check_record_schema(record); // the running record of a killed runner too
        return record;
      }
    }
    FAIL("no run record in " << (out / "_runs"));
    return nullptr;
  }
};

} // namespace mdivicom::test
