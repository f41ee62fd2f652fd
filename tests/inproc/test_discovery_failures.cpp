#include <catch2/catch.hpp>

#include "inproc_support.hpp"
#include "lanes/inproc/inproc.hpp"

using namespace mdivicom;
using namespace mdivicom::test;
namespace fs = std::filesystem;

namespace {

std::vector<Plugin> discover_installed()
{
  std::vector<Plugin> plugins;
  for (auto& source : inproc::make_python_sources(std::nullopt)) {
    for (auto& plugin : source->discover()) {
      plugins.push_back(std::move(plugin));
    }
  }
  return plugins;
}

std::string error_of(const std::vector<Plugin>& plugins, const std::string& id)
{
  for (const auto& plugin : plugins) {
    if (plugin.id() == id) {
      return plugin.is_error() ? plugin.object.value("error", "") : "(not an error)";
    }
  }
  return "(not listed)";
}

// One distribution with a good plugin between bad ones: the bad ones must not hide it.
void write_mixed(const fs::path& site, const std::string& bad_id, const std::string& bad_get_plugin)
{
  write_installed(
      site, "mixed", "1.0",
      {{"a-good", "good_mod:get_plugin"}, {bad_id, "bad_mod:get_plugin"}, {"z-good", "good_mod:get_plugin2"}},
      {{"good_mod.py", get_plugin_source("a-good", "good_mod:run") +
                           "def get_plugin2():\n    return {'id': 'z-good', 'kind': 'python', 'version': '1'}\n"},
       {"bad_mod.py", bad_get_plugin}});
}

} // namespace

TEST_CASE("a get_plugin() that raises is listed as an error with the exception", "[inproc][discovery][errors]")
{
  PythonSandbox sandbox;
  write_mixed(sandbox / "site", "raiser", "def get_plugin():\n    raise ValueError('config file missing')\n");
  ScopedEnv env(EnvValues{{"PYTHONPATH", (sandbox / "site").string()}});
  auto plugins = discover_installed();
  CHECK(error_of(plugins, "raiser") == "get_plugin() failed: ValueError: config file missing");
  CHECK(error_of(plugins, "a-good") == "(not an error)");
  CHECK(error_of(plugins, "z-good") == "(not an error)");
}

TEST_CASE("a get_plugin() returning junk is listed as an error saying what is wrong", "[inproc][discovery][errors]")
{
  PythonSandbox sandbox;
  fs::path site = sandbox / "site";
  write_installed(site, "junk", "1.0",
                  {{"a-list", "junk_mod:as_list"},
                   {"an-object", "junk_mod:with_object"},
                   {"a-nan", "junk_mod:with_nan"},
                   {"an-int-key", "junk_mod:with_int_key"},
                   {"bad-id", "junk_mod:with_bad_id"},
                   {"missing-attr", "junk_mod:nope"}},
                  {{"junk_mod.py", "def as_list():\n    return [1, 2]\n"
                                   "def with_object():\n    return {'id': 'an-object', 'meta': {'when': object()}}\n"
                                   "def with_nan():\n    return {'id': 'a-nan', 'threshold': float('nan')}\n"
                                   "def with_int_key():\n    return {'id': 'an-int-key', 'map': {1: 'x'}}\n"
                                   "def with_bad_id():\n    return {'id': '../escape', 'kind': 'python'}\n"}});
  ScopedEnv env(EnvValues{{"PYTHONPATH", site.string()}});
  auto plugins = discover_installed();
  CHECK(error_of(plugins, "a-list") == "get_plugin() returned a list, expected a dict");
  CHECK(error_of(plugins, "an-object") == "get_plugin()['meta']['when']: a object is not JSON-safe");
  CHECK(error_of(plugins, "a-nan") == "get_plugin()['threshold']: nan is not a finite number");
  CHECK(error_of(plugins, "an-int-key") == "get_plugin()['map']: key 1 is not a string");
  CHECK(error_of(plugins, "bad-id").find("the id '../escape'") != std::string::npos);
  CHECK(error_of(plugins, "missing-attr").find("AttributeError") != std::string::npos);
}

TEST_CASE("a get_plugin() that segfaults costs only its own entry", "[inproc][discovery][errors]")
{
  PythonSandbox sandbox;
  write_mixed(sandbox / "site", "crasher", "import ctypes\ndef get_plugin():\n    ctypes.string_at(0)\n");
  ScopedEnv env(EnvValues{{"PYTHONPATH", (sandbox / "site").string()}});
  auto plugins = discover_installed();
  CHECK(error_of(plugins, "crasher").find("crashed the interpreter: killed by signal 11 (SIGSEGV)") !=
        std::string::npos);
  CHECK(error_of(plugins, "a-good") == "(not an error)");
  CHECK(error_of(plugins, "z-good") == "(not an error)");
}

TEST_CASE("a get_plugin() that hangs is stopped after MDIVICOM_GET_PLUGIN_TIMEOUT and the rest are listed",
          "[inproc][discovery][errors]")
{
  PythonSandbox sandbox;
  write_mixed(sandbox / "site", "hanger", "import time\ndef get_plugin():\n    time.sleep(3600)\n");
  ScopedEnv env(EnvValues{{"PYTHONPATH", (sandbox / "site").string()}, {"MDIVICOM_GET_PLUGIN_TIMEOUT", "1"}});
  auto plugins = discover_installed();
  CHECK(error_of(plugins, "hanger").find("did not return within 1 s") != std::string::npos);
  CHECK(error_of(plugins, "a-good") == "(not an error)");
  CHECK(error_of(plugins, "z-good") == "(not an error)");
}

TEST_CASE("a get_plugin() calling os._exit or printing does not break the listing", "[inproc][discovery][errors]")
{
  PythonSandbox sandbox;
  write_mixed(sandbox / "site", "exiter", "import os\nprint('noise on stdout')\ndef get_plugin():\n    os._exit(3)\n");
  ScopedEnv env(EnvValues{{"PYTHONPATH", (sandbox / "site").string()}});
  auto plugins = discover_installed();
  CHECK(error_of(plugins, "exiter") == "get_plugin() ended the interpreter with exit code 3");
  CHECK(error_of(plugins, "z-good") == "(not an error)");
}
