#pragma once

// A batch of the dev-root plugin "slurm-test" on the private cluster, for the Slurm tests of
// `mdivicom batch`.

#include <catch2/catch.hpp>

#include "slurm_support.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom::test {

// A dev-root Python plugin that fails on a dataset holding FAIL, sleeps 3 s on one holding NAP,
// 120 s on one holding SLOW, and 120 s ignoring SIGTERM and Ctrl-C (KeyboardInterrupt) on one holding
// STUBBORN: its run then outlives Slurm's KillWait after a SIGTERM, and Slurm kills it unrecorded.
struct SlurmBatch
{
  TempDir root;
  std::filesystem::path out = root / "out";
  CommandOptions options = isolated_options(root);

  SlurmBatch()
  {
    write_file(root / "plugin" / "pyproject.toml", "[project]\nname = \"slurm-test\"\nversion = \"1.0.0\"\n"
                                                   "[project.entry-points.\"mdivicomtools.plugins\"]\n"
                                                   "slurm-test = \"slurm_mod:get_plugin\"\n");
    write_file(root / "plugin" / "slurm_mod.py", R"(import os, time
def get_plugin():
    return {'meta': {'api_version': 'mdivicomtools.plugin.v0.1', 'id': 'slurm-test', 'kind': 'python',
                     'version': '1.0.0', 'description': 'test'},
            'entry': {'callable': 'slurm_mod:run'}}
def run(dataset_dir, out_dir, config, *, work_dir=None, dry_run=False):
    marked = lambda marker: os.path.exists(os.path.join(dataset_dir, marker))
    if marked('FAIL'):
        raise RuntimeError('this dataset fails')
    if marked('NAP'):
        time.sleep(3)
    if marked('SLOW'):
        print('slow item started', flush=True)
        time.sleep(120)
    if marked('STUBBORN'):
        import signal
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print('stubborn item started', flush=True)
        end = time.time() + 120
        while time.time() < end:
            try:
                time.sleep(end - time.time())
            except KeyboardInterrupt:
                pass
    open(os.path.join(out_dir, 'done.txt'), 'w').write(os.path.basename(dataset_dir))
)");
    options.env["MDIVICOM_DEV_PLUGIN_ROOTS"] = (root / "plugin").string();
    options.env["SLURM_CONF"] = test_cluster().slurm_conf;
    options.timeout_s = 240;
  }

  void session(const std::string& name, const std::string& marker = "")
  {
    write_file(root / "study" / name / "raw.csv", "t,x\n0,1\n");
    if (!marker.empty()) {
      write_file(root / "study" / name / marker, "");
    }
  }

  CommandResult batch(std::vector<std::string> extra)
  {
    std::vector<std::string> args = {"batch",      "slurm-test", "--out",     out.string(),
                                     "--executor", "slurm",      "--dataset", (root / "study" / "*").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_mdivicom(args, options);
  }

  nlohmann::json record()
  {
    CommandResult status = run_mdivicom({"batch", "status", out.string(), "--json"}, options);
    INFO(status.err);
    return nlohmann::json::parse(status.out);
  }
};

} // namespace mdivicom::test
