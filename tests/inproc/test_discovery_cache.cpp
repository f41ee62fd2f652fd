#include <catch2/catch.hpp>

#include "inproc_support.hpp"
#include "lanes/inproc/inproc.hpp"

#include <fstream>

using namespace mdivicom;
using namespace mdivicom::test;
namespace fs = std::filesystem;

namespace {

// get_plugin() appends a line to calls.txt each time it runs: the count of interpreter starts.
std::string counting_module(const fs::path& counter, const std::string& version)
{
  return "def get_plugin():\n"
         "    with open(" +
         nlohmann::json(counter.string()).dump() +
         ", 'a') as f:\n"
         "        f.write('call\\n')\n"
         "    return {'id': 'counted', 'kind': 'python', 'version': '" +
         version + "', 'run_ref': 'counted_mod:run'}\n";
}

size_t calls(const fs::path& counter)
{
  std::ifstream in(counter);
  size_t count = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++count;
  }
  return count;
}

std::string listed_version()
{
  for (auto& source : inproc::make_python_sources(std::nullopt)) {
    for (auto& plugin : source->discover()) {
      if (plugin.id() == "counted") {
        return plugin.version();
      }
    }
  }
  return "(not listed)";
}

} // namespace

TEST_CASE("listing unchanged installed plugins again does not start Python", "[inproc][cache]")
{
  PythonSandbox sandbox;
  fs::path site = sandbox / "site";
  fs::path counter = sandbox / "calls.txt";
  write_installed(site, "counted", "1.0", {{"counted", "counted_mod:get_plugin"}},
                  {{"counted_mod.py", counting_module(counter, "1.0")}});
  ScopedEnv env(EnvValues{{"PYTHONPATH", site.string()}});

  CHECK(listed_version() == "1.0");
  CHECK(calls(counter) == 1);
  CHECK(listed_version() == "1.0");
  CHECK(listed_version() == "1.0");
  CHECK(calls(counter) == 1);
  CHECK(fs::exists(sandbox.cache_file()));

  SECTION("editing the module refreshes it")
  {
    write_file(site / "counted_mod.py", counting_module(counter, "1.1"));
    CHECK(listed_version() == "1.1");
    CHECK(calls(counter) == 2);
    CHECK(listed_version() == "1.1");
    CHECK(calls(counter) == 2);
  }
  SECTION("reinstalling the distribution refreshes it")
  {
    fs::remove_all(site / "counted-1.0.dist-info");
    write_installed(site, "counted", "1.0", {{"counted", "counted_mod:get_plugin"}},
                    {{"counted_mod.py", counting_module(counter, "1.0")}});
    CHECK(listed_version() == "1.0");
    CHECK(calls(counter) == 2);
  }
  SECTION("a corrupt cache is ignored and rewritten")
  {
    write_file(sandbox.cache_file(), "{\"format\": \"mdivicom-python-plugins-1\", \"entries\": {\"x\": [tru");
    CHECK(listed_version() == "1.0");
    CHECK(calls(counter) == 2);
    CHECK(listed_version() == "1.0");
    CHECK(calls(counter) == 2);
  }
  SECTION("MDIVICOM_PLUGIN_CACHE=off calls get_plugin() every time")
  {
    ScopedEnv off(EnvValues{{"MDIVICOM_PLUGIN_CACHE", "off"}});
    CHECK(listed_version() == "1.0");
    CHECK(listed_version() == "1.0");
    CHECK(calls(counter) == 3);
  }
}

TEST_CASE("a dev root's cached plugin is refreshed when its pyproject or module changes", "[inproc][cache][dev]")
{
  PythonSandbox sandbox;
  fs::path root = sandbox / "counted-src";
  fs::path counter = sandbox / "calls.txt";
  write_dev_root(root, {{"counted", "counted_mod:get_plugin"}}, {{"counted_mod.py", counting_module(counter, "1.0")}});
  ScopedEnv env(EnvValues{{"MDIVICOM_DEV_PLUGIN_ROOTS", root.string()}});

  CHECK(listed_version() == "1.0");
  CHECK(listed_version() == "1.0");
  CHECK(calls(counter) == 1);
  write_file(root / "counted_mod.py", counting_module(counter, "2.0"));
  CHECK(listed_version() == "2.0");
  CHECK(calls(counter) == 2);
  write_file(root / "pyproject.toml", read_file(root / "pyproject.toml") + "# touched\n");
  CHECK(listed_version() == "2.0");
  CHECK(calls(counter) == 3);
}

TEST_CASE("a failed get_plugin() is cached too, and fixing the module refreshes it", "[inproc][cache][errors]")
{
  PythonSandbox sandbox;
  fs::path site = sandbox / "site";
  fs::path counter = sandbox / "calls.txt";
  std::string failing = "def get_plugin():\n    open(" + nlohmann::json(counter.string()).dump() +
                        ", 'a').write('call\\n')\n    raise RuntimeError('not yet')\n";
  write_installed(site, "counted", "1.0", {{"counted", "counted_mod:get_plugin"}}, {{"counted_mod.py", failing}});
  ScopedEnv env(EnvValues{{"PYTHONPATH", site.string()}});

  CHECK(listed_version() == "");
  CHECK(listed_version() == "");
  CHECK(calls(counter) == 1);
  write_file(site / "counted_mod.py", counting_module(counter, "1.0"));
  CHECK(listed_version() == "1.0");
  CHECK(calls(counter) == 2);
}
