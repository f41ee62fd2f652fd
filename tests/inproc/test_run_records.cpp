// Records that tell the truth under a hostile or unlucky run (issue 15, item 8): a bounded log,
// a full disk, a runner killed while earlier outputs were parked, a plugin id that would take
// one of the runner's names. Real runs of real Python plugins through the mdivicom binary.
#include <catch2/catch.hpp>

#include "inproc_support.hpp"
#include "support/process.hpp"
#include "support/record_schema.hpp"
#include "support/tree_snapshot.hpp"

#include <algorithm>
#include <csignal>

#include <sys/mount.h>
#include <unistd.h>

using namespace mdivicom;
using namespace mdivicom::test;
namespace fs = std::filesystem;

namespace {

// A dev-root plugin `id` whose module holds `run_source`, a small dataset and an out dir.
struct RecordsWorkspace
{
  TempDir root;
  fs::path dataset = root / "dataset";
  fs::path out = root / "out";
  CommandOptions options;
  std::string id;

  explicit RecordsWorkspace(const std::string& run_source, std::string plugin_id = "rec-test")
    : id(std::move(plugin_id))
  {
    write_dev_root(root / "plugin", {{"rec-test", "rec_mod:get_plugin"}},
                   {{"rec_mod.py", get_plugin_source(id, "rec_mod:run") + run_source}});
    write_file(dataset / "sessions" / "ses-01" / "raw" / "gaze.csv", "t,x\n0,1\n");
    options.env = {{"MDIVICOM_DEV_PLUGIN_ROOTS", (root / "plugin").string()},
                   {"MDIVICOM_PLUGIN_PATH", (root / "no-manifests").string()},
                   {"XDG_DATA_HOME", (root / "xdg-data").string()},
                   {"XDG_CACHE_HOME", (root / "xdg-cache").string()},
                   {"VIRTUAL_ENV", k_unset},
                   {"MDIVICOM_PYTHON_ENV", k_unset},
                   {"MDIVICOM_LOG_LIMIT", k_unset},
                   {"PYTHONPATH", k_unset}};
  }

  CommandResult run(const std::vector<std::string>& extra = {}, const CommandOptions* with = nullptr) const
  {
    std::vector<std::string> args = {"run", id, "--dataset", dataset.string(), "--out", out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_mdivicom(args, with != nullptr ? *with : options);
  }

  nlohmann::json record(const CommandResult& result) const
  {
    const size_t at = result.err.find("run 20");
    REQUIRE(at != std::string::npos);
    return nlohmann::json::parse(read_file(out / "_runs" / (result.err.substr(at + 4, 25) + ".json")));
  }
};

// A small tmpfs mounted for one test (mdivicom's tests run as root here); unmounted at the end.
class SmallFs
{
public:
  SmallFs(const fs::path& dir, const std::string& size) : m_dir(dir)
  {
    fs::create_directories(dir);
    m_mounted = ::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, ("size=" + size).c_str()) == 0;
  }
  ~SmallFs()
  {
    if (m_mounted) {
      ::umount2(m_dir.c_str(), MNT_DETACH);
    }
  }
  SmallFs(const SmallFs&) = delete;
  SmallFs& operator=(const SmallFs&) = delete;
  bool mounted() const { return m_mounted; }

private:
  fs::path m_dir;
  bool m_mounted = false;
};

} // namespace

TEST_CASE("a plugin that prints more than the log limit leaves a bounded log with its head and tail, and the "
          "record says so",
          "[inproc][cli][records][log]")
{
  RecordsWorkspace ws("import sys\n"
                      "def run(dataset_dir, out_dir, config, **kw):\n"
                      "    for i in range(40000):\n"
                      "        print('line %06d ' % i + 'x' * 40)\n"
                      "    print('THE END', flush=True)\n");
  const auto before = snapshot_tree(ws.dataset);
  CommandOptions options = ws.options;
  options.env["MDIVICOM_LOG_LIMIT"] = "64K";
  CommandResult result = ws.run({}, &options);
  INFO(result.err.substr(0, 2000));
  REQUIRE(result.exit_code == 0);
  nlohmann::json record = ws.record(result);
  check_record_schema(record);
  const std::string log = read_file(record["log_path"].get<std::string>());
  CHECK(log.size() < 65536 + 512);
  CHECK(log.starts_with("line 000000 "));
  CHECK(log.ends_with("THE END\n"));
  CHECK(log.find("[mdivicom] log limit of 65536 bytes reached") != std::string::npos);
  CHECK(record["log"]["limit_bytes"] == 65536);
  CHECK(record["log"]["truncated"] == true);
  CHECK(record["log"]["output_bytes"] == 40000 * 53 + 8);
  CHECK(record["log"]["omitted_bytes"] == 40000 * 53 + 8 - 65536);
  // The terminal shows the head, then says the rest is not shown.
  CHECK(result.out.size() <= 49152);
  CHECK(result.err.find("the rest is not shown") != std::string::npos);
  CHECK(snapshot_tree(ws.dataset) == before);

  options.env["MDIVICOM_LOG_LIMIT"] = "lots";
  fs::remove_all(ws.out);
  CommandResult refused = ws.run({}, &options);
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("MDIVICOM_LOG_LIMIT=lots is not a size") != std::string::npos);
  CHECK_FALSE(fs::exists(ws.out));
}

TEST_CASE("a plugin whose output stays under the log limit has all of it in the log, not truncated",
          "[inproc][cli][records][log]")
{
  RecordsWorkspace ws("def run(dataset_dir, out_dir, config, **kw):\n"
                      "    print('hello')\n");
  CommandResult result = ws.run();
  REQUIRE(result.exit_code == 0);
  nlohmann::json record = ws.record(result);
  CHECK(read_file(record["log_path"].get<std::string>()) == "hello\n");
  CHECK(record["log"] == nlohmann::json({{"limit_bytes", 64 << 20}, {"output_bytes", 6}, {"truncated", false}}));
}

TEST_CASE("a plugin that fills the --out file system still gets a finalized record", "[inproc][cli][records][disk]")
{
  RecordsWorkspace ws("import os\n"
                      "def run(dataset_dir, out_dir, config, **kw):\n"
                      "    if not config.get('fill'):\n"
                      "        open(os.path.join(out_dir, 'small.txt'), 'w').write('small')\n"
                      "        return\n"
                      "    fd = os.open(os.path.join(out_dir, 'big.bin'), os.O_WRONLY | os.O_CREAT)\n"
                      "    for size in (1 << 20, 4096, 1):  # to the last byte of the last page\n"
                      "        try:\n"
                      "            while True:\n"
                      "                os.write(fd, b'x' * size)\n"
                      "        except OSError as e:\n"
                      "            error = e.strerror\n"
                      "    os.close(fd)\n"
                      "    print('disk full:', error, flush=True)\n");
  SmallFs small(ws.out, "24m");
  if (!small.mounted()) {
    WARN("cannot mount a tmpfs (not root?): the full-disk case is not tested here");
    return;
  }
  const auto before = snapshot_tree(ws.dataset);
  REQUIRE(ws.run().exit_code == 0);
  CHECK(fs::file_size(ws.out / "_runs" / ".rec-test.reserve") == 8 << 20);
  CommandResult result = ws.run({"--overwrite", "--config", R"({"fill": true})"});
  INFO(result.err);
  nlohmann::json record = ws.record(result);
  CHECK(record["status"] == "succeeded");
  CHECK(record["previous_outputs"]["outcome"] == "replaced");
  CHECK_FALSE(fs::exists(record["previous_outputs"]["parked_at"].get<std::string>()));
  // The parked outputs' space may or may not have let provenance.json in; big.bin is there.
  CHECK(record["outputs"]["files"][0]["path"] == "big.bin");
  check_record_schema(record);
  CHECK(run_mdivicom({"verify", ws.out.string()}, ws.options).exit_code == 0);

  // A first run into a fresh --out that fills the disk: nothing is freed for the record but the reserve.
  const fs::path fresh = ws.root / "fresh";
  SmallFs fresh_fs(fresh, "16m");
  REQUIRE(fresh_fs.mounted());
  CommandResult first = run_mdivicom({"run", ws.id, "--dataset", ws.dataset.string(), "--out", (fresh / "o").string(),
                                      "--config", R"({"fill": true})"},
                                     ws.options);
  INFO(first.err);
  const size_t at = first.err.find("run 20");
  REQUIRE(at != std::string::npos);
  nlohmann::json fresh_record =
      nlohmann::json::parse(read_file(fresh / "o" / "_runs" / (first.err.substr(at + 4, 25) + ".json")));
  CHECK(fresh_record["status"] == "succeeded");
  CHECK(fresh_record["outputs"]["files"][0]["path"] == "big.bin");
  check_record_schema(fresh_record);
  CHECK(snapshot_tree(ws.dataset) == before);
}

TEST_CASE("after kill -9 of mdivicom during an --overwrite run, the next run puts the parked outputs back and "
          "verify checks them where they are",
          "[inproc][cli][records][killed]")
{
  RecordsWorkspace ws("import os, time\n"
                      "def run(dataset_dir, out_dir, config, **kw):\n"
                      "    open(os.path.join(out_dir, 'result.txt'), 'w').write(str(config.get('n')))\n"
                      "    if config.get('hang'):\n"
                      "        print('hanging', flush=True)\n"
                      "        time.sleep(60)\n");
  const auto before = snapshot_tree(ws.dataset);
  REQUIRE(ws.run({"--config", R"({"n": 1})"}).exit_code == 0);
  CommandOptions killing = ws.options;
  killing.interrupt_signal = SIGKILL;
  killing.interrupt_when = [](int, const CommandResult& so_far) {
    return so_far.out.find("hanging") != std::string::npos;
  };
  CommandResult killed = ws.run({"--overwrite", "--config", R"({"n": 2, "hang": true})"}, &killing);
  REQUIRE(killed.signal == SIGKILL);
  CHECK(read_file(ws.out / "rec-test" / "result.txt") == "2"); // the killed run's file is in place

  // verify: the earlier run's files are intact where the killed run parked them, and checked there.
  CommandResult verified = run_mdivicom({"verify", ws.out.string()}, ws.options);
  INFO(verified.out);
  CHECK(verified.exit_code == 1);
  CHECK(verified.out.find("UNCHECKED") != std::string::npos);
  CHECK(verified.out.find("mdivicom was killed during this run") != std::string::npos);
  CHECK(verified.out.find("ok          ") != std::string::npos);
  CHECK(verified.out.find(".previous, where the killed run") != std::string::npos);

  // The next run restores them before anything else, even one that is then refused (another
  // config, without --overwrite: out of date, exit 3).
  CommandResult next = ws.run();
  INFO(next.err);
  CHECK(next.exit_code == 3);
  CHECK(next.err.find("config changed") != std::string::npos);
  CHECK(next.err.find("was killed while the earlier outputs") != std::string::npos);
  CHECK(read_file(ws.out / "rec-test" / "result.txt") == "1");
  bool parked_left = false;
  nlohmann::json killed_record;
  for (const auto& item : fs::directory_iterator(ws.out / "_runs")) {
    const std::string name = item.path().filename().string();
    parked_left |= name.ends_with(".previous");
    if (item.path().extension() == ".json") {
      auto record = nlohmann::json::parse(read_file(item.path()));
      if (record.contains("recovered_outputs") || record["status"] == "running" ||
          (record.contains("error") && record["error"]["type"] == "mdivicom.RunnerKilled")) {
        killed_record = record;
      }
    }
  }
  CHECK_FALSE(parked_left);
  REQUIRE(killed_record.is_object());
  CHECK(killed_record["status"] == "failed");
  CHECK(killed_record["error"]["type"] == "mdivicom.RunnerKilled");
  const fs::path failed = killed_record["previous_outputs"]["failed_outputs"].get<std::string>();
  CHECK(read_file(failed / "result.txt") == "2");
  check_record_schema(killed_record);
  CommandResult after = run_mdivicom({"verify", ws.out.string()}, ws.options);
  INFO(after.out);
  CHECK(after.exit_code == 0);

  // Killed with nothing parked (a first run): the next run finalizes its record, and until then
  // verify reports it unchecked.
  fs::remove_all(ws.out);
  REQUIRE(ws.run({"--config", R"({"n": 5, "hang": true})"}, &killing).signal == SIGKILL);
  CommandResult unchecked = run_mdivicom({"verify", ws.out.string()}, ws.options);
  CHECK(unchecked.exit_code == 1);
  CHECK(unchecked.out.find("the run never finished") != std::string::npos);
  CHECK(ws.run({"--overwrite", "--config", R"({"n": 6})"}).exit_code == 0);
  size_t killed_records = 0;
  for (const auto& item : fs::directory_iterator(ws.out / "_runs")) {
    if (item.path().extension() == ".json") {
      auto record = nlohmann::json::parse(read_file(item.path()));
      CHECK(record["status"] != "running");
      killed_records += record.contains("error") && record["error"]["type"] == "mdivicom.RunnerKilled" ? 1 : 0;
    }
  }
  CHECK(killed_records == 1);
  CHECK(run_mdivicom({"verify", ws.out.string()}, ws.options).exit_code == 0);
  CHECK(snapshot_tree(ws.dataset) == before);
}

TEST_CASE("an entry-point plugin whose id is one of the runner's names in --out is refused before anything is "
          "written",
          "[inproc][cli][records][ids]")
{
  for (const std::string id : {"ro-crate-metadata.json", "ro-crate-preview.html"}) {
    RecordsWorkspace ws("def run(dataset_dir, out_dir, config, **kw):\n    pass\n", id);
    const auto before = snapshot_tree(ws.dataset);
    CommandResult result = ws.run();
    INFO(result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("a name mdivicom writes in --out itself") != std::string::npos);
    CHECK_FALSE(fs::exists(ws.out));
    CHECK(snapshot_tree(ws.dataset) == before);
  }
}
