// Where `mdivicom run` writes, checked after the paths exist (issue 15, item 4): a link in place
// of O/_runs, TMPDIR inside the dataset, a --work link that dangles until O/_runs exists. Each is
// refused with exit 2 before the plugin runs, and the dataset is left bit- and metadata-identical.
#include <catch2/catch.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/tree_snapshot.hpp"

#include <nlohmann/json.hpp>

using mdivicom::test::CommandOptions;
using mdivicom::test::CommandResult;
using mdivicom::test::run_mdivicom;
using mdivicom::test::snapshot_tree;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;

namespace fs = std::filesystem;

namespace {

// One manifest plugin "writer" whose module would write a file into every place it can reach;
// the cases below never let it start.
struct RootsWorkspace
{
  TempDir root;
  fs::path dataset = root / "dataset";
  fs::path out = root / "out";
  CommandOptions options;

  RootsWorkspace()
  {
    nlohmann::json meta = {{"api_version", "mdivicomtools.plugin.v0.1"},
                           {"id", "writer"},
                           {"kind", "python"},
                           {"version", "1.0.0"},
                           {"description", "writes"}};
    write_file(root / "manifests" / "writer.json",
               nlohmann::json({{"meta", meta}, {"entry", {{"callable", "writer_mod:run"}}}}).dump());
    write_file(root / "site" / "writer_mod.py", "import os, tempfile\n"
                                                "def run(dataset_dir, out_dir, config, work_dir=None, **kw):\n"
                                                "    open(os.path.join(tempfile.gettempdir(), 'x'), 'w')\n");
    write_file(dataset / "sessions" / "ses-01" / "raw" / "g.csv", "t,x\n0,1\n");
    options.env = {{"MDIVICOM_PLUGIN_PATH", (root / "manifests").string()},
                   {"XDG_DATA_HOME", (root / "xdg").string()},
                   {"XDG_CACHE_HOME", (root / "cache").string()},
                   {"PYTHONPATH", (root / "site").string()},
                   {"MDIVICOM_DEV_PLUGIN_ROOTS", mdivicom::test::k_unset}};
  }

  CommandResult run(const std::vector<std::string>& extra, const CommandOptions* with = nullptr) const
  {
    std::vector<std::string> args = {"run", "writer", "--dataset", dataset.string(), "--out", out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_mdivicom(args, with != nullptr ? *with : options);
  }
};

void check_refused(const CommandResult& result, const std::string& fragment)
{
  INFO(result.err);
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("mdivicom: error: "));
  CHECK_THAT(result.err, Catch::Contains(fragment));
  CHECK_THAT(result.err, !Catch::Contains("run 20")); // no run started
}

bool has_record(const fs::path& runs_dir)
{
  std::error_code error;
  for (fs::directory_iterator it(runs_dir, error), end; !error && it != end; it.increment(error)) {
    if (it->path().extension() == ".json") {
      return true;
    }
  }
  return false;
}

} // namespace

TEST_CASE("run refuses an O/_runs that is a symbolic link into the dataset, and writes nothing there",
          "[cli][run][roots]")
{
  RootsWorkspace ws;
  fs::create_directories(ws.out);
  fs::create_directory_symlink(ws.dataset / "sessions", ws.out / "_runs");
  const auto before = snapshot_tree(ws.dataset);
  check_refused(ws.run({}), "is a symbolic link");
  CHECK(snapshot_tree(ws.dataset) == before);
  // A link to a directory elsewhere is refused as well: mdivicom follows no link there.
  fs::remove(ws.out / "_runs");
  fs::create_directories(ws.root / "elsewhere");
  fs::create_directory_symlink(ws.root / "elsewhere", ws.out / "_runs");
  check_refused(ws.run({}), "the run record directory");
  CHECK(fs::is_empty(ws.root / "elsewhere"));
  CHECK(snapshot_tree(ws.dataset) == before);
}

TEST_CASE("run refuses an O/<id> that is a symbolic link into the dataset", "[cli][run][roots]")
{
  RootsWorkspace ws;
  fs::create_directories(ws.out);
  fs::create_directory_symlink(ws.dataset, ws.out / "writer");
  const auto before = snapshot_tree(ws.dataset);
  check_refused(ws.run({"--overwrite"}), "is a symbolic link");
  CHECK(snapshot_tree(ws.dataset) == before);
}

TEST_CASE("run refuses a TMPDIR inside the dataset, directly or through a link, before making a scratch dir",
          "[cli][run][roots]")
{
  RootsWorkspace ws;
  const auto before = snapshot_tree(ws.dataset);
  CommandOptions options = ws.options;
  options.env["TMPDIR"] = (ws.dataset / "sessions").string();
  check_refused(ws.run({}, &options), "TMPDIR");
  CHECK(snapshot_tree(ws.dataset) == before);
  fs::create_directory_symlink(ws.dataset / "sessions", ws.root / "tmp-link");
  options.env["TMPDIR"] = (ws.root / "tmp-link").string();
  check_refused(ws.run({}, &options), "inside the dataset");
  CHECK(snapshot_tree(ws.dataset) == before);
  // Nor inside the run records or the plugin's outputs.
  options.env["TMPDIR"] = (ws.out / "_runs").string();
  fs::create_directories(ws.out / "_runs");
  check_refused(ws.run({}, &options), "inside the run records");
  CHECK_FALSE(has_record(ws.out / "_runs"));
}

TEST_CASE("run refuses a --work link that dangles until O/_runs exists, and no record is forged", "[cli][run][roots]")
{
  RootsWorkspace ws;
  const auto before = snapshot_tree(ws.dataset);
  // out/ does not exist yet: the link dangles when the run is planned.
  fs::create_directory_symlink(ws.out / "_runs", ws.root / "work-link");
  check_refused(ws.run({"--work", (ws.root / "work-link").string()}), "goes through the symbolic link");
  CHECK_FALSE(has_record(ws.out / "_runs"));
  // Once O/_runs exists, the link resolves there and is refused as the records' directory.
  fs::create_directories(ws.out / "_runs");
  check_refused(ws.run({"--work", (ws.root / "work-link").string()}), "where the run records are");
  CHECK_FALSE(has_record(ws.out / "_runs"));
  // A dangling --out link is refused too: its target could be anywhere by the time it is made.
  fs::create_directory_symlink(ws.root / "later", ws.root / "out-link");
  CommandResult result = run_mdivicom(
      {"run", "writer", "--dataset", ws.dataset.string(), "--out", (ws.root / "out-link" / "o").string()}, ws.options);
  check_refused(result, "goes through the symbolic link");
  CHECK_FALSE(fs::exists(ws.root / "later"));
  CHECK(snapshot_tree(ws.dataset) == before);
}
