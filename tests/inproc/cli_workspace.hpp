#pragma once

// A dev-root plugin run through the mdivicom binary, for the in-process lane's CLI tests.

#include "inproc_support.hpp"
#include "support/process.hpp"

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom::test {

struct CliRun
{
  CommandResult cli;
  nlohmann::json record;
  std::string log;
};

// A dev-root plugin "cli-test" whose module holds `run_source`, a small dataset and an out dir.
struct CliWorkspace
{
  TempDir root;
  std::filesystem::path dataset = root / "dataset";
  std::filesystem::path out = root / "out";
  std::filesystem::path plugin_root = root / "plugin";
  CommandOptions options;

  explicit CliWorkspace(const std::string& run_source)
  {
    write_dev_root(plugin_root, {{"cli-test", "cli_mod:get_plugin"}},
                   {{"cli_mod.py", get_plugin_source("cli-test", "cli_mod:run") + run_source}});
    write_file(dataset / "sessions" / "ses-01" / "raw" / "gaze" / "str-eye01" / "gaze.csv", "t,x\n0,1\n");
    options.env = {{"MDIVICOM_DEV_PLUGIN_ROOTS", plugin_root.string()},
                   {"MDIVICOM_PLUGIN_PATH", (root / "no-manifests").string()},
                   {"XDG_DATA_HOME", (root / "xdg-data").string()},
                   {"XDG_CACHE_HOME", (root / "xdg-cache").string()},
                   {"VIRTUAL_ENV", k_unset},
                   {"MDIVICOM_PYTHON_ENV", k_unset},
                   {"MDIVICOM_LANDLOCK", k_unset},
                   {"PYTHONPATH", k_unset}};
  }

  CliRun run(const std::vector<std::string>& extra = {})
  {
    std::vector<std::string> args = {"run", "cli-test", "--dataset", dataset.string(), "--out", out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    CliRun result;
    result.cli = run_mdivicom(args, options);
    std::error_code error;
    for (const auto& item : std::filesystem::directory_iterator(out / "_runs", error)) {
      if (item.path().extension() == ".json") {
        result.record = nlohmann::json::parse(read_file(item.path()));
      } else if (item.path().extension() == ".log") {
        result.log = read_file(item.path());
      }
    }
    return result;
  }
};

} // namespace mdivicom::test
