#include <catch2/catch.hpp>

#include "support/builtin_manifests.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using mdivicom::test::CommandOptions;
using mdivicom::test::let_files_settle;
using mdivicom::test::run_mdivicom;
using mdivicom::test::TempDir;
using mdivicom::test::without_builtin_manifests;
using mdivicom::test::write_file;

namespace {

std::string manifest(const std::string& id, const std::string& publisher, const std::string& kind = "python")
{
  nlohmann::json meta = {{"api_version", "mdivicomtools.plugin.v0.1"},
                         {"id", id},
                         {"kind", kind},
                         {"version", "1.2.3"},
                         {"description", "Cafe\u0301 plugin"}};
  if (!publisher.empty()) {
    meta["publisher"] = publisher;
  }
  nlohmann::json entry = kind == "python" ? nlohmann::json{{"callable", "pkg.mod:run"}}
                                          : nlohmann::json{{"image", "localhost/x:1"}, {"argv", {"true"}}};
  return nlohmann::json({{"meta", meta}, {"entry", entry}}).dump();
}

// Only the manifests of `dir`: no user plugins, no built-ins' surprises, no Python packages.
CommandOptions isolated(const TempDir& dir, const TempDir& home)
{
  CommandOptions options;
  options.env = {{"MDIVICOM_PLUGIN_PATH", dir.path().string()}, {"XDG_DATA_HOME", (home / "data").string()},
                 {"XDG_CACHE_HOME", (home / "cache").string()}, {"HOME", home.path().string()},
                 {"PYTHONPATH", (home / "nothing").string()},   {"MDIVICOM_DEV_PLUGIN_ROOTS", mdivicom::test::k_unset},
                 {"VIRTUAL_ENV", mdivicom::test::k_unset}};
  return options;
}

} // namespace

TEST_CASE("plugins list prints publisher/id, kind and version separated by tabs", "[cli][plugins]")
{
  TempDir dir, home;
  write_file(dir / "a.json", manifest("sync-audio", "lab"));
  write_file(dir / "b.json", manifest("count", "", "container"));
  auto result = run_mdivicom({"plugins", "list"}, isolated(dir, home));
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("lab/sync-audio\tpython\t1.2.3\n"));
  CHECK_THAT(result.out, Catch::Contains("count\tcontainer\t1.2.3\n"));
}

TEST_CASE("plugins list --json prints normalized objects with sorted keys and indent 2", "[cli][plugins]")
{
  TempDir dir, home;
  write_file(dir / "a.json", manifest("sync-audio", "lab"));
  auto result = run_mdivicom({"plugins", "list", "--json"}, isolated(dir, home));
  REQUIRE(result.exit_code == 0);
  auto list = nlohmann::json::parse(result.out);
  nlohmann::json* plugin = nullptr;
  for (auto& item : list) {
    if (item["id"] == "sync-audio") {
      plugin = &item;
    }
  }
  REQUIRE(plugin != nullptr);
  CHECK((*plugin)["run_ref"] == "pkg.mod:run");
  CHECK((*plugin)["publisher"] == "lab");
  CHECK((*plugin)["manifest_path"] == (dir / "a.json").string());
  CHECK((*plugin)["description"] == "Cafe\u0301 plugin");
  CHECK(result.out == list.dump(2) + "\n");
  CHECK_THAT(result.out, Catch::Contains("Cafe\u0301")); // non-ASCII written as itself
}

TEST_CASE("with an empty search path, plugins list shows the built-in manifests only", "[cli][plugins]")
{
  // "(no plugins found)" without them: tests/cli/test_install_cli.cpp, on an installed copy.
  TempDir dir, home;
  auto result = run_mdivicom({"plugins", "list", "--json"}, isolated(dir, home));
  REQUIRE(result.exit_code == 0);
  auto list = nlohmann::json::parse(result.out);
  CHECK_FALSE(list.empty());
  for (const auto& plugin : list) {
    CHECK(fs::path(plugin["manifest_path"].get<std::string>()).parent_path() ==
          fs::path(MDIVICOM_SOURCE_DIR) / "manifests");
  }
}

TEST_CASE("a malformed manifest is listed as an error and the others still list", "[cli][plugins]")
{
  TempDir dir, home;
  write_file(dir / "good.json", manifest("good", ""));
  write_file(dir / "broken.json", "{\"meta\": ");
  auto result = run_mdivicom({"plugins", "list"}, isolated(dir, home));
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("good\tpython\t1.2.3\n"));
  CHECK_THAT(result.out, Catch::Contains("broken\terror\t\n"));
  CHECK_THAT(result.err, Catch::Contains((dir / "broken.json").string() + ": malformed JSON"));
}

TEST_CASE("plugins info prints one plugin and refuses unknown or ambiguous references", "[cli][plugins]")
{
  TempDir dir, home;
  write_file(dir / "a.json", manifest("sync", "lab-a"));
  write_file(dir / "b.json", manifest("sync", "lab-b"));
  auto options = isolated(dir, home);

  auto found = run_mdivicom({"plugins", "info", "lab-b/sync"}, options);
  CHECK(found.exit_code == 0);
  CHECK(nlohmann::json::parse(found.out)["publisher"] == "lab-b");

  auto ambiguous = run_mdivicom({"plugins", "info", "sync"}, options);
  CHECK(ambiguous.exit_code == 2);
  CHECK_THAT(ambiguous.err, Catch::Contains("ambiguous"));
  CHECK_THAT(ambiguous.err, Catch::Contains("lab-a/sync"));
  CHECK_THAT(ambiguous.err, Catch::Contains("lab-b/sync"));

  auto missing = run_mdivicom({"plugins", "info", "nope"}, options);
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("mdivicom: error: Plugin not found: nope"));
}

TEST_CASE("plugins validate reports every problem and exits 1", "[cli][plugins]")
{
  TempDir dir, home;
  write_file(dir / "ok.json", manifest("fine", ""));
  auto bad = std::string(MDIVICOM_TEST_DATA) + "/manifests/bad/id-dotdot.json";
  auto result = run_mdivicom({"plugins", "validate", (dir / "ok.json").string(), bad}, isolated(dir, home));
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out, Catch::Contains((dir / "ok.json").string() + ": ok"));
  CHECK_THAT(result.out, Catch::Contains(bad + ": /meta/id: must be a slug"));
  auto good = run_mdivicom({"plugins", "validate", (dir / "ok.json").string()}, isolated(dir, home));
  CHECK(good.exit_code == 0);
}

TEST_CASE("usage errors exit 2 and --version and --help exit 0", "[cli]")
{
  CHECK(run_mdivicom({"--version"}).exit_code == 0);
  CHECK_THAT(run_mdivicom({"--version"}).out, Catch::StartsWith("mdivicom "));
  for (const auto& command : std::vector<std::vector<std::string>>{{"--help"},
                                                                   {"plugins", "--help"},
                                                                   {"plugins", "list", "--help"},
                                                                   {"run", "--help"},
                                                                   {"resultbundles", "--help"}}) {
    INFO(command.front() << " " << command.back());
    CHECK(run_mdivicom(command).exit_code == 0);
  }
  CHECK(run_mdivicom({}).exit_code == 2);
  CHECK(run_mdivicom({"frobnicate"}).exit_code == 2);
  // Only the command named is built (app.cpp); the top-level help still lists every one.
  auto help = run_mdivicom({"--help"});
  for (const char* command : {"plugins", "run", "resultbundles", "verify", "pack", "doctor", "gc"}) {
    CHECK_THAT(help.out, Catch::Contains(std::string("  ") + command));
  }
  CHECK_THAT(run_mdivicom({"-v", "run", "--help"}).out, Catch::Contains("--dataset"));
  CHECK(run_mdivicom({"plugins", "list", "--bogus"}).exit_code == 2);
  CHECK(run_mdivicom({"plugins", "info"}).exit_code == 2);
}

namespace {

std::string read_text(const std::filesystem::path& path)
{
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The cache file of the manifest directory `dir` (the built-in manifests have one too).
std::filesystem::path manifest_cache_file(const TempDir& home, const TempDir& dir)
{
  for (const auto& entry : std::filesystem::directory_iterator(home / "cache" / "mdivicom" / "manifests")) {
    std::string text = read_text(entry.path());
    if (text.substr(0, text.find('\n')).ends_with("\t" + dir.path().string())) {
      return entry.path();
    }
  }
  return {};
}

std::string replaced(std::string text, const std::string& from, const std::string& to)
{
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

} // namespace

TEST_CASE("plugins list answers unchanged manifests from its cache and follows every change", "[cli][plugins][cache]")
{
  TempDir dir, home;
  auto options = isolated(dir, home);
  write_file(dir / "a.json", manifest("alpha", "lab"));
  write_file(dir / "b.json", manifest("beta", "lab"));
  write_file(dir / "c.json", manifest("gamma", ""));
  write_file(dir / "broken.json", "{\"meta\": ");
  let_files_settle();
  auto first = run_mdivicom({"plugins", "list"}, options);
  REQUIRE(first.exit_code == 0);
  const std::string expected =
      "lab/alpha\tpython\t1.2.3\nlab/beta\tpython\t1.2.3\nbroken\terror\t\ngamma\tpython\t1.2.3\n";
  CHECK(without_builtin_manifests(first.out) == expected);
  const auto cache = manifest_cache_file(home, dir);
  REQUIRE_FALSE(cache.empty());

  // Served from the cache: a doctored entry shows (the manifest itself is not read).
  const std::string original = read_text(cache);
  write_file(cache, replaced(original, "\tlab\talpha\tpython\t1.2.3\n", "\tlab\talpha\tpython\t9.9.9\n"));
  CHECK(without_builtin_manifests(run_mdivicom({"plugins", "list"}, options).out) ==
        replaced(expected, "lab/alpha\tpython\t1.2.3", "lab/alpha\tpython\t9.9.9"));
  write_file(cache, original);
  // The error entry is not cached: its reason is still reported every time.
  auto again = run_mdivicom({"plugins", "list"}, options);
  CHECK(without_builtin_manifests(again.out) == expected);
  CHECK_THAT(again.err, Catch::Contains((dir / "broken.json").string() + ": malformed JSON"));

  // Edited in place with the same size, replaced by rename, removed, added, repaired.
  write_file(dir / "a.json",
             manifest("alpha", "lab", "python").replace(manifest("alpha", "lab", "python").find("1.2.3"), 5, "3.2.1"));
  write_file(dir / "new-b.json.tmp", manifest("beta", "other"));
  std::filesystem::rename(dir / "new-b.json.tmp", dir / "b.json");
  std::filesystem::remove(dir / "c.json");
  write_file(dir / "d.json", manifest("delta", ""));
  write_file(dir / "broken.json", manifest("fixed", ""));
  const std::string changed =
      "lab/alpha\tpython\t3.2.1\nother/beta\tpython\t1.2.3\nfixed\tpython\t1.2.3\ndelta\tpython\t1.2.3\n";
  CHECK(without_builtin_manifests(run_mdivicom({"plugins", "list"}, options).out) == changed);
  CHECK(without_builtin_manifests(run_mdivicom({"plugins", "list"}, options).out) == changed);

  // A damaged cache is ignored and rewritten; --json never depends on the cache.
  write_file(cache, "garbage");
  CHECK(without_builtin_manifests(run_mdivicom({"plugins", "list"}, options).out) == changed);
  auto listed = nlohmann::json::parse(run_mdivicom({"plugins", "list", "--json"}, options).out);
  CHECK(without_builtin_manifests(listed).size() == 4);
}
