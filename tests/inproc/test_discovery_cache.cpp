#include <catch2/catch.hpp>

#include "inproc_support.hpp"
#include "lanes/inproc/inproc.hpp"

#include <cstdio>
#include <map>

#include <sys/socket.h>
#include <sys/un.h>

using namespace mdivicom;
using namespace mdivicom::test;
namespace fs = std::filesystem;

namespace {

// get_plugin() sends a datagram to a unix socket of the test each time it runs: the count of
// its calls. (It runs sandboxed with nothing writable, so it cannot count in a file.)
std::string counting_module(const fs::path& counter, const std::string& version)
{
  return "import socket\n"
         "def get_plugin():\n"
         "    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as counter:\n"
         "        counter.sendto(b'call', " +
         nlohmann::json(counter.string()).dump() +
         ")\n"
         "    return {'id': 'counted', 'kind': 'python', 'version': '" +
         version + "', 'run_ref': 'counted_mod:run'}\n";
}

// The socket get_plugin() reports to, bound on first use; the calls counted so far.
size_t calls(const fs::path& counter)
{
  static std::map<fs::path, std::pair<int, size_t>> sockets;
  auto& [fd, count] = sockets[counter];
  if (fd == 0) {
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", counter.c_str());
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  }
  char datagram[16];
  while (recv(fd, datagram, sizeof datagram, 0) > 0) {
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
  fs::path counter = sandbox / "calls.sock";
  calls(counter);
  write_installed(site, "counted", "1.0", {{"counted", "counted_mod:get_plugin"}},
                  {{"counted_mod.py", counting_module(counter, "1.0")}});
  ScopedEnv env(EnvValues{{"PYTHONPATH", site.string()}});
  let_files_settle(); // files changed in the last two seconds are never cached

  CHECK(listed_version() == "1.0");
  CHECK(calls(counter) == 1);
  CHECK(listed_version() == "1.0");
  CHECK(listed_version() == "1.0");
  CHECK(calls(counter) == 1);
  CHECK(fs::exists(sandbox.cache_file()));

  SECTION("editing the module refreshes it")
  {
    write_file(site / "counted_mod.py", counting_module(counter, "1.1"));
    let_files_settle();
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
    let_files_settle();
    CHECK(listed_version() == "1.0");
    CHECK(calls(counter) == 2);
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
  fs::path counter = sandbox / "calls.sock";
  calls(counter);
  write_dev_root(root, {{"counted", "counted_mod:get_plugin"}}, {{"counted_mod.py", counting_module(counter, "1.0")}});
  ScopedEnv env(EnvValues{{"MDIVICOM_DEV_PLUGIN_ROOTS", root.string()}});
  let_files_settle();

  CHECK(listed_version() == "1.0");
  CHECK(listed_version() == "1.0");
  CHECK(calls(counter) == 1);
  write_file(root / "counted_mod.py", counting_module(counter, "2.0"));
  let_files_settle();
  CHECK(listed_version() == "2.0");
  CHECK(listed_version() == "2.0");
  CHECK(calls(counter) == 2);
  write_file(root / "pyproject.toml", read_file(root / "pyproject.toml") + "# touched\n");
  let_files_settle();
  CHECK(listed_version() == "2.0");
  CHECK(listed_version() == "2.0");
  CHECK(calls(counter) == 3);
}

TEST_CASE("a failed get_plugin() is cached too, and fixing the module refreshes it", "[inproc][cache][errors]")
{
  PythonSandbox sandbox;
  fs::path site = sandbox / "site";
  fs::path counter = sandbox / "calls.sock";
  calls(counter);
  std::string failing = "import socket\ndef get_plugin():\n"
                        "    socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'call', " +
                        nlohmann::json(counter.string()).dump() + ")\n    raise RuntimeError('not yet')\n";
  write_installed(site, "counted", "1.0", {{"counted", "counted_mod:get_plugin"}}, {{"counted_mod.py", failing}});
  ScopedEnv env(EnvValues{{"PYTHONPATH", site.string()}});
  let_files_settle();

  CHECK(listed_version() == "");
  CHECK(listed_version() == "");
  CHECK(calls(counter) == 1);
  write_file(site / "counted_mod.py", counting_module(counter, "1.0"));
  let_files_settle();
  CHECK(listed_version() == "1.0");
  CHECK(listed_version() == "1.0");
  CHECK(calls(counter) == 2);
}
