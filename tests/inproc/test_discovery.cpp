#include <catch2/catch.hpp>

#include "core/util/error.hpp"
#include "inproc_support.hpp"
#include "lanes/inproc/inproc.hpp"

using namespace mdivicom;
using namespace mdivicom::test;
namespace fs = std::filesystem;

namespace {

std::vector<Plugin> discover_all(const std::optional<fs::path>& python_env = std::nullopt)
{
  std::vector<Plugin> plugins;
  for (auto& source : inproc::make_python_sources(python_env)) {
    for (auto& plugin : source->discover()) {
      plugins.push_back(std::move(plugin));
    }
  }
  return plugins;
}

const Plugin* find_plugin(const std::vector<Plugin>& plugins, const std::string& id)
{
  for (const auto& plugin : plugins) {
    if (plugin.id() == id) {
      return &plugin;
    }
  }
  return nullptr;
}

const std::string k_run_module = "def run(dataset_dir, out_dir, config, **kwargs):\n    pass\n";

} // namespace

TEST_CASE("an installed plugin on PYTHONPATH is found and normalized", "[inproc][discovery]")
{
  PythonSandbox sandbox;
  fs::path site = sandbox / "site";
  write_installed(site, "acme_sync", "2.1.0", {{"sync-audio", "acme_sync.plugin:get_plugin"}},
                  {{"acme_sync/__init__.py", ""},
                   {"acme_sync/plugin.py", get_plugin_source("sync-audio", "acme_sync.run:run")},
                   {"acme_sync/run.py", k_run_module}});
  ScopedEnv env(EnvValues{{"PYTHONPATH", site.string()}});
  auto plugins = discover_all();
  REQUIRE(plugins.size() == 1);
  const auto& object = plugins[0].object;
  CHECK(object["id"] == "sync-audio");
  CHECK(object["kind"] == "python");
  CHECK(object["version"] == "1.0.0");
  CHECK(object["api_version"] == "mdivicomtools.plugin.v0.1");
  CHECK(object["run_ref"] == "acme_sync.run:run");
  CHECK(object["entry_point"] == "acme_sync.plugin:get_plugin");
  CHECK(object["distribution"]["name"] == "acme_sync");
  CHECK(object["distribution"]["version"] == "2.1.0");
}

TEST_CASE("a legacy flat registration without an id takes the entry point's name", "[inproc][discovery]")
{
  PythonSandbox sandbox;
  fs::path site = sandbox / "site";
  write_installed(
      site, "legacy", "0.1", {{"old-tool", "legacy_mod:get_plugin"}},
      {{"legacy_mod.py", "def get_plugin():\n    return {'kind': 'python', 'name': 'Old tool', 'version': '0.1'}\n"}});
  ScopedEnv env(EnvValues{{"PYTHONPATH", site.string()}});
  auto plugins = discover_all();
  REQUIRE(plugins.size() == 1);
  CHECK(plugins[0].id() == "old-tool");
  CHECK(plugins[0].object["name"] == "Old tool");
}

TEST_CASE("plugins installed in a venv are found through VIRTUAL_ENV, MDIVICOM_PYTHON_ENV or an explicit env",
          "[inproc][discovery][venv]")
{
  PythonSandbox sandbox;
  fs::path venv = sandbox / "venv";
  fs::path site = make_venv(venv);
  write_installed(site, "venv_plugin", "1.0", {{"in-venv", "venv_plugin:get_plugin"}},
                  {{"venv_plugin.py", get_plugin_source("in-venv", "venv_plugin:run") + k_run_module}});

  CHECK(find_plugin(discover_all(), "in-venv") == nullptr);
  {
    ScopedEnv env(EnvValues{{"VIRTUAL_ENV", venv.string()}});
    CHECK(find_plugin(discover_all(), "in-venv") != nullptr);
  }
  {
    ScopedEnv env(EnvValues{{"MDIVICOM_PYTHON_ENV", venv.string()}});
    CHECK(find_plugin(discover_all(), "in-venv") != nullptr);
  }
  CHECK(find_plugin(discover_all(venv), "in-venv") != nullptr);
  CHECK(find_plugin(discover_all(venv / "bin" / "python3"), "in-venv") != nullptr);
}

TEST_CASE("a venv without system site packages hides the system's plugins and one with them shows them",
          "[inproc][discovery][venv]")
{
  PythonSandbox sandbox;
  fs::path isolated = sandbox / "isolated";
  fs::path shared = sandbox / "shared";
  make_venv(isolated, false);
  make_venv(shared, true);
  auto isolated_env = inproc::make_python_sources(isolated);
  // What is visible is decided without an interpreter: check the search path via doctor facts.
  auto isolated_dirs = inproc::doctor_facts(isolated)["python"]["env"]["site_dirs"];
  auto shared_dirs = inproc::doctor_facts(shared)["python"]["env"]["site_dirs"];
  CHECK(isolated_dirs == nlohmann::json::array({(isolated / "lib/python3.11/site-packages").string()}));
  CHECK(shared_dirs[0] == (shared / "lib/python3.11/site-packages").string());
  CHECK(std::find(shared_dirs.begin(), shared_dirs.end(), "/usr/lib/python3/dist-packages") != shared_dirs.end());
  // And the interpreter agrees: its sys.path holds the same site dirs.
  auto sys_path = inproc::doctor_facts(shared)["python"]["sys_path"];
  for (const auto& dir : shared_dirs) {
    CHECK(std::find(sys_path.begin(), sys_path.end(), dir) != sys_path.end());
  }
}

TEST_CASE("an explicit python env that is not a venv is a usage error naming the fix", "[inproc][discovery][venv]")
{
  PythonSandbox sandbox;
  fs::create_directories(sandbox / "not-a-venv");
  try {
    inproc::make_python_sources(sandbox / "not-a-venv");
    FAIL("no error");
  } catch (const Error& error) {
    CHECK(error.code() == ExitCode::usage);
    std::string message = error.what();
    CHECK(message.find("not a virtual environment") != std::string::npos);
    CHECK(message.find("/usr/bin/python3 -m venv") != std::string::npos);
  }
}

TEST_CASE("a stale VIRTUAL_ENV is ignored and the system Python is used", "[inproc][discovery][venv]")
{
  PythonSandbox sandbox;
  ScopedEnv env(EnvValues{{"VIRTUAL_ENV", (sandbox / "deleted-venv").string()}});
  auto facts = inproc::doctor_facts();
  CHECK(facts["python"]["env"]["origin"] == "system");
  CHECK(facts["python"]["executable"] == "/usr/bin/python3");
}

TEST_CASE("dev roots with flat and src layouts are discovered from their pyproject.toml", "[inproc][discovery][dev]")
{
  PythonSandbox sandbox;
  fs::path flat = sandbox / "flat-tool";
  fs::path src = sandbox / "src-tool";
  write_dev_root(flat, {{"flat-tool", "flat_tool:get_plugin"}},
                 {{"flat_tool.py", get_plugin_source("flat-tool", "flat_tool:run") + k_run_module}});
  write_dev_root(
      src, {{"src.tool", "src_tool.registration:get_plugin"}},
      {{"src/src_tool/__init__.py", ""},
       {"src/src_tool/registration.py", get_plugin_source("src-tool", "src_tool.registration:run") + k_run_module}});
  ScopedEnv env(EnvValues{{"MDIVICOM_DEV_PLUGIN_ROOTS", flat.string() + ":" + src.string() + "/"}});
  auto plugins = discover_all();
  const Plugin* flat_plugin = find_plugin(plugins, "flat-tool");
  const Plugin* src_plugin = find_plugin(plugins, "src-tool");
  REQUIRE(flat_plugin != nullptr);
  REQUIRE(src_plugin != nullptr);
  CHECK(flat_plugin->object["dev_root"] == flat.string());
  CHECK(src_plugin->object["dev_root"] == src.string());
  CHECK(src_plugin->object["entry_point"] == "src_tool.registration:get_plugin");
}

TEST_CASE("a dev root without a pyproject or without entry points is listed as an error saying why",
          "[inproc][discovery][dev]")
{
  PythonSandbox sandbox;
  fs::create_directories(sandbox / "empty-tree");
  write_file(sandbox / "no-eps" / "pyproject.toml", "[project]\nname = \"no-eps\"\n");
  write_file(sandbox / "broken" / "pyproject.toml", "[project\nname = 1\n");
  ScopedEnv env(
      EnvValues{{"MDIVICOM_DEV_PLUGIN_ROOTS", (sandbox / "empty-tree").string() + ":" + (sandbox / "no-eps").string() +
                                                  ":" + (sandbox / "broken").string()}});
  auto plugins = discover_all();
  REQUIRE(plugins.size() == 3);
  CHECK(plugins[0].is_error());
  CHECK(plugins[0].object["error"].get<std::string>().find("has no pyproject.toml") != std::string::npos);
  CHECK(plugins[1].object["error"].get<std::string>().find("declares no [project.entry-points") != std::string::npos);
  CHECK_THAT(plugins[2].object["error"].get<std::string>(),
             Catch::Contains("line 1: ") && Catch::Contains("expected ']'"));
}

TEST_CASE("a hostile pyproject.toml in a dev root is one broken registration and hides no other",
          "[inproc][discovery][dev]")
{
  PythonSandbox sandbox;
  fs::path good = sandbox / "good-tool";
  write_dev_root(good, {{"good-tool", "good_tool:get_plugin"}},
                 {{"good_tool.py", get_plugin_source("good-tool", "good_tool:run") + k_run_module}});
  // 80 KB of nested arrays, and tables nested 100,000 deep by one dotted key: each crashed the
  // hand-written parser (or toml++ without a limit) by recursion.
  write_file(sandbox / "arrays" / "pyproject.toml",
             "[project]\nname = \"x\"\nkeywords = " + std::string(40000, '[') + std::string(40000, ']') + "\n");
  std::string dotted = "a";
  for (int i = 0; i < 100000; ++i) {
    dotted += ".a";
  }
  write_file(sandbox / "dotted" / "pyproject.toml", "[project]\nname = \"y\"\n" + dotted + " = 1\n");
  ScopedEnv env(EnvValues{{"MDIVICOM_DEV_PLUGIN_ROOTS",
                           (sandbox / "arrays").string() + ":" + (sandbox / "dotted").string() + ":" + good.string()}});
  auto plugins = discover_all();
  REQUIRE(plugins.size() == 3);
  CHECK_THAT(plugins[0].object["error"].get<std::string>(),
             Catch::Contains("pyproject.toml: line 3: ") && Catch::Contains("nested value depth of 256"));
  CHECK_THAT(plugins[1].object["error"].get<std::string>(),
             Catch::Contains("line 3: more than 10000 dots outside strings"));
  REQUIRE(find_plugin(plugins, "good-tool") != nullptr);
  CHECK_FALSE(find_plugin(plugins, "good-tool")->is_error());
}

TEST_CASE("a dev root shadows the installed copy of the same plugin", "[inproc][discovery][dev]")
{
  PythonSandbox sandbox;
  fs::path site = sandbox / "site";
  write_installed(site, "tool", "1.0", {{"tool", "tool_mod:get_plugin"}},
                  {{"tool_mod.py", get_plugin_source("tool", "tool_mod:run") + "VERSION = 'installed'\n"}});
  fs::path root = sandbox / "tool-src";
  write_dev_root(root, {{"tool", "tool_mod:get_plugin"}}, {{"tool_mod.py", get_plugin_source("tool", "tool_mod:run")}});
  ScopedEnv env(EnvValues{{"PYTHONPATH", site.string()}, {"MDIVICOM_DEV_PLUGIN_ROOTS", root.string()}});
  PluginCatalog catalog;
  for (auto& source : inproc::make_python_sources(std::nullopt)) {
    catalog.add_source(std::move(source));
  }
  CHECK(catalog.resolve("tool").object["dev_root"] == root.string());
}
