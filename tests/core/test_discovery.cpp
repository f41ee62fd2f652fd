#include <catch2/catch.hpp>

#include "core/plugins/discovery.hpp"
#include "core/plugins/manifest_source.hpp"
#include "core/util/error.hpp"
#include "support/temp_dir.hpp"

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

using mdivicom::ManifestDirSource;
using mdivicom::PluginCatalog;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;

namespace fs = std::filesystem;

namespace {

const fs::path k_data = fs::path(MDIVICOM_TEST_DATA) / "manifests";

std::string manifest(const std::string& id, const std::string& publisher = "", const std::string& version = "1.0.0")
{
  nlohmann::json meta = {{"api_version", "mdivicomtools.plugin.v0.1"},
                         {"id", id},
                         {"kind", "python"},
                         {"version", version},
                         {"description", "test plugin"}};
  if (!publisher.empty()) {
    meta["publisher"] = publisher;
  }
  return nlohmann::json({{"meta", meta}, {"entry", {{"callable", "pkg.mod:run"}}}}).dump();
}

PluginCatalog catalog_of(const fs::path& dir)
{
  PluginCatalog catalog;
  catalog.add_source(std::make_unique<ManifestDirSource>(std::vector<fs::path>{dir}));
  return catalog;
}

std::string usage_message(PluginCatalog& catalog, const std::string& ref)
{
  try {
    catalog.resolve(ref);
  } catch (const mdivicom::Error& e) {
    CHECK(e.code() == mdivicom::ExitCode::usage);
    return e.what();
  }
  FAIL("resolving " << ref << " did not fail");
  return "";
}

} // namespace

TEST_CASE("every manifest of the bad corpus is rejected with its expected message", "[core][manifest]")
{
  auto expected = nlohmann::json::parse(std::ifstream(k_data / "bad" / "expected.json"));
  size_t checked = 0;
  for (const auto& item : fs::directory_iterator(k_data / "bad")) {
    std::string name = item.path().filename().string();
    if (name == "expected.json") {
      continue;
    }
    INFO(name);
    REQUIRE(expected.contains(name));
    auto problems = mdivicom::check_manifest(item.path());
    REQUIRE_FALSE(problems.empty());
    std::string all;
    for (const auto& problem : problems) {
      CHECK(problem.rfind(item.path().string() + ": ", 0) == 0);
      all += problem + "\n";
    }
    for (const auto& fragment : expected[name]) {
      CHECK_THAT(all, Catch::Contains(fragment.get<std::string>()));
    }
    mdivicom::Plugin plugin = mdivicom::load_manifest(item.path());
    CHECK(plugin.kind() == "error");
    ++checked;
  }
  CHECK(checked == expected.size());
}

TEST_CASE("the good manifests validate and normalize as the reference does", "[core][manifest]")
{
  CHECK(mdivicom::check_manifest(k_data / "good" / "python-full.json").empty());
  CHECK(mdivicom::check_manifest(k_data / "good" / "container-min.json").empty());
  mdivicom::Plugin plugin = mdivicom::load_manifest(k_data / "good" / "python-full.json");
  CHECK(plugin.id() == "sync-audio");
  CHECK(plugin.publisher() == "lab.example");
  CHECK(plugin.ref() == "lab.example/sync-audio");
  CHECK(plugin.object["run_ref"] == "mditools_sync_audio.run:run");
  CHECK(plugin.object["license"] == "MIT");
  CHECK(plugin.object["config_schema"]["properties"].contains("threshold"));
  CHECK(plugin.object["meta"]["id"] == "sync-audio");
  CHECK(plugin.object["manifest_path"] == (k_data / "good" / "python-full.json").string());
}

TEST_CASE("normalization keeps top-level keys and falls back to the entry point name", "[core][manifest]")
{
  mdivicom::PluginOrigin origin;
  origin.entry_point = "legacy_pkg.plugin:get_plugin";
  origin.fallback_id = "legacy";
  auto flat =
      mdivicom::normalize_plugin({{"kind", "python"}, {"version", "0.3"}, {"meta", {{"kind", "container"}}}}, origin);
  CHECK(flat.id() == "legacy");
  CHECK(flat.kind() == "python");
  CHECK(flat.object["entry_point"] == "legacy_pkg.plugin:get_plugin");
  auto junk = mdivicom::normalize_plugin(nlohmann::json::array({1, 2}), origin);
  CHECK(junk.is_error());
}

TEST_CASE("a broken manifest is listed as an error and the others still list", "[core][discovery]")
{
  TempDir dir;
  write_file(dir / "a.json", manifest("alpha"));
  write_file(dir / "b.json", "{ not json");
  write_file(dir / "c.json", manifest("gamma"));
  write_file(dir / "notes.txt", "ignored");
  auto catalog = catalog_of(dir.path());
  const auto& plugins = catalog.plugins();
  REQUIRE(plugins.size() == 3);
  CHECK(plugins[0].id() == "alpha");
  CHECK(plugins[1].kind() == "error");
  CHECK(plugins[1].id() == "b");
  CHECK_THAT(plugins[1].object["error"].get<std::string>(), Catch::Contains("malformed JSON"));
  CHECK(plugins[2].id() == "gamma");
}

TEST_CASE("an unknown reference says not found and suggests the near name", "[core][discovery]")
{
  TempDir dir;
  write_file(dir / "a.json", manifest("stream-inventory"));
  auto catalog = catalog_of(dir.path());
  std::string message = usage_message(catalog, "stream-inventroy");
  CHECK_THAT(message, Catch::StartsWith("Plugin not found: stream-inventroy"));
  CHECK_THAT(message, Catch::Contains("did you mean 'stream-inventory'"));
}

TEST_CASE("an id published by two publishers is ambiguous and names both", "[core][discovery]")
{
  TempDir dir;
  write_file(dir / "a.json", manifest("sync", "lab-a"));
  write_file(dir / "b.json", manifest("sync", "lab-b"));
  auto catalog = catalog_of(dir.path());
  std::string message = usage_message(catalog, "sync");
  CHECK_THAT(message, Catch::Contains("ambiguous"));
  CHECK_THAT(message, Catch::Contains("lab-a/sync"));
  CHECK_THAT(message, Catch::Contains("lab-b/sync"));
  CHECK(catalog.resolve("lab-b/sync").publisher() == "lab-b");
}

TEST_CASE("the first directory of the search path wins for the same publisher/id", "[core][discovery]")
{
  TempDir first, second;
  write_file(first / "x.json", manifest("tool", "", "2.0.0"));
  write_file(second / "x.json", manifest("tool", "", "1.0.0"));
  PluginCatalog catalog;
  catalog.add_source(std::make_unique<ManifestDirSource>(std::vector<fs::path>{first.path(), second.path()}));
  CHECK(catalog.plugins().size() == 1);
  CHECK(catalog.resolve("tool").version() == "2.0.0");
}

TEST_CASE("the search path is MDIVICOM_PLUGIN_PATH, then XDG_DATA_HOME, then the built-ins", "[core][discovery]")
{
  setenv("MDIVICOM_PLUGIN_PATH", "/one::/two", 1);
  setenv("XDG_DATA_HOME", "/xdg", 1);
  auto path = mdivicom::manifest_search_path();
  unsetenv("MDIVICOM_PLUGIN_PATH");
  unsetenv("XDG_DATA_HOME");
  REQUIRE(path.size() == 4);
  CHECK(path[0] == "/one");
  CHECK(path[1] == "/two");
  CHECK(path[2] == "/xdg/mdivicom/plugins");
  CHECK(path[3] == mdivicom::builtin_manifest_dir());
}

TEST_CASE("a missing manifest directory is skipped, not an error", "[core][discovery]")
{
  auto catalog = catalog_of("/nonexistent/mdivicom/plugins");
  CHECK(catalog.plugins().empty());
}

TEST_CASE("slugs allow lowercase, digits, dot, underscore and dash only", "[core][manifest]")
{
  CHECK(mdivicom::is_valid_slug("sync-audio"));
  CHECK(mdivicom::is_valid_slug("lab.example_2"));
  CHECK(mdivicom::is_valid_slug("9lives"));
  CHECK_FALSE(mdivicom::is_valid_slug(""));
  CHECK_FALSE(mdivicom::is_valid_slug("../x"));
  CHECK_FALSE(mdivicom::is_valid_slug(".hidden"));
  CHECK_FALSE(mdivicom::is_valid_slug("a/b"));
  CHECK_FALSE(mdivicom::is_valid_slug("Upper"));
  CHECK_FALSE(mdivicom::is_valid_slug(std::string(129, 'a')));
}
