#include <catch2/catch.hpp>

#include "support/batch_items.hpp"

#include "slurm_support.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

using namespace mdivicom::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A dev-root Python plugin that fails on a dataset holding FAIL and sleeps on one holding SLOW.
struct SlurmBatch
{
  TempDir root;
  fs::path out = root / "out";
  CommandOptions options = isolated_options(root);

  SlurmBatch()
  {
    write_file(root / "plugin" / "pyproject.toml", "[project]\nname = \"slurm-test\"\nversion = \"1.0.0\"\n"
                                                   "[project.entry-points.\"mdivicomtools.plugins\"]\n"
                                                   "slurm-test = \"slurm_mod:get_plugin\"\n");
    write_file(root / "plugin" / "slurm_mod.py",
               "import os, time\n"
               "def get_plugin():\n"
               "    return {'meta': {'api_version': 'mdivicomtools.plugin.v0.1', 'id': 'slurm-test', 'kind': "
               "'python',\n"
               "                     'version': '1.0.0', 'description': 'test'},\n"
               "            'entry': {'callable': 'slurm_mod:run'}}\n"
               "def run(dataset_dir, out_dir, config, *, work_dir=None, dry_run=False):\n"
               "    if os.path.exists(os.path.join(dataset_dir, 'FAIL')):\n"
               "        raise RuntimeError('this dataset fails')\n"
               "    if os.path.exists(os.path.join(dataset_dir, 'SLOW')):\n"
               "        print('slow item started', flush=True)\n"
               "        time.sleep(120)\n"
               "    open(os.path.join(out_dir, 'done.txt'), 'w').write(os.path.basename(dataset_dir))\n");
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

  json record()
  {
    CommandResult status = run_mdivicom({"batch", "status", out.string(), "--json"}, options);
    INFO(status.err);
    return json::parse(status.out);
  }
};

} // namespace

TEST_CASE("batch --executor slurm runs each item as a task of one job array and records Slurm's states",
          "[slurm][batch]")
{
  SlurmBatch batch;
  for (const char* name : {"ses-01", "ses-02", "ses-03", "ses-04"}) {
    batch.session(name);
  }
  batch.session("ses-05", "FAIL");
  CommandResult result =
      batch.batch({"-j", "2", "--slurm-opt", "job-name=mdv-test", "--config", R"({"api_token": "s3cret-value"})"});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  json record = batch.record();
  CHECK(record["executor"]["kind"] == "slurm");
  CHECK_FALSE(record["executor"]["job_id"].get<std::string>().empty());
  CHECK(record["status"] == "failed");
  for (const char* name : {"ses-01", "ses-02", "ses-03", "ses-04"}) {
    const json& item = item_named(record, name);
    CHECK(item["status"] == "succeeded");
    CHECK(item["slurm"]["state"] == "COMPLETED");
    CHECK(read_file(batch.out / name / "slurm-test" / "done.txt") == name);
  }
  const json& failed = item_named(record, "ses-05");
  CHECK(failed["status"] == "failed");
  CHECK(failed["slurm"]["state"] == "FAILED");
  CHECK(failed["exit_code"] == 1);
  const std::string script = read_file(batch.out / "_batches" / (record["batch_id"].get<std::string>() + ".sbatch"));
  CHECK(record["executor"]["jobs"] == 2); // the throttle: --array=0,1,2,3,4%2
  // An inline config reaches the tasks as a private file, removed once the batch ended: neither
  // the script nor anything else the batch keeps holds its text.
  CHECK(script.find("s3cret-value") == std::string::npos);
  for (const auto& entry : fs::recursive_directory_iterator(batch.out / "_batches")) {
    if (entry.is_regular_file()) {
      CHECK(read_file(entry.path()).find("s3cret-value") == std::string::npos);
    }
  }
  CHECK_FALSE(fs::exists(batch.out / "_batches" / (record["batch_id"].get<std::string>() + ".configs")));
  for (int item = 0; item < 5; ++item) {
    CHECK(script.find("\n" + std::to_string(item) + ") exec ") != std::string::npos);
  }
}

TEST_CASE("Ctrl-C while a Slurm batch waits cancels the array, and the runs are recorded cancelled", "[slurm][batch]")
{
  SlurmBatch batch;
  batch.session("ses-01", "SLOW");
  batch.session("ses-02", "SLOW");
  batch.options.interrupt_when = [&batch](int, const CommandResult&) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(batch.out / "ses-01" / "_runs", error)) {
      if (entry.path().extension() == ".log" &&
          read_file(entry.path()).find("slow item started") != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  CommandResult result = batch.batch({"-j", "1"});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 130);
  json record = batch.record();
  CHECK(record["status"] == "cancelled");
  // The run got SIGINT, stopped its plugin and exited 130: Slurm says FAILED (or CANCELLED when
  // scancel's own cancel came first); the run's record says what happened.
  CHECK(item_named(record, "ses-01")["slurm"]["state"] != "COMPLETED");
  CHECK(item_named(record, "ses-01")["status"] == "cancelled");
  CHECK_FALSE(item_named(record, "ses-02").contains("run_id")); // never started: the array was cancelled
}

TEST_CASE("a Slurm batch without sbatch, or with options Slurm refuses, fails with Slurm's message", "[slurm][batch]")
{
  SlurmBatch batch;
  batch.session("ses-01");
  CommandResult result = batch.batch({"--slurm-opt", "partition=no-such-partition"});
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("sbatch refused") != std::string::npos);
  CHECK(result.err.find("partition") != std::string::npos);

  batch.options.env["PATH"] = (batch.root / "empty-path").string();
  fs::remove_all(batch.out);
  result = batch.batch({});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("sbatch") != std::string::npos);
}
