// An installed mdivicom, as a user gets it: `cmake --install` of this build into a fresh prefix,
// then only that prefix is used (PATH without the build tree, no MDIVICOM_MODULE_DIR), so a file
// the install rules forget fails here instead of falling back to the build tree.

#include <catch2/catch.hpp>

#include "cli/commands.hpp"
#include "install_lock.hpp"
#include "support/process.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

using namespace mdivicom::test;
namespace fs = std::filesystem;

namespace {

const fs::path k_build = MDIVICOM_BUILD_DIR;
const fs::path k_examples = fs::path(MDIVICOM_SOURCE_DIR) / "examples";

// Installs this build into `prefix` with `cmake --install` (or, with `defines`, by running the
// install script with them). One install at a time: each rewrites the build's install_manifest.txt.
CommandResult install(const fs::path& prefix, const std::vector<std::string>& defines = {})
{
  InstallLock lock(k_build);
  std::vector<std::string> argv = {MDIVICOM_CMAKE_COMMAND, "--install", k_build.string(), "--prefix", prefix.string()};
  if (!defines.empty()) {
    argv = {MDIVICOM_CMAKE_COMMAND, "-DCMAKE_INSTALL_PREFIX=" + prefix.string()};
    argv.insert(argv.end(), defines.begin(), defines.end());
    argv.insert(argv.end(), {"-P", (k_build / "cmake_install.cmake").string()});
  }
  return run_command(argv);
}

// The installed programs: the binary, then every module and the worker the build made.
std::vector<fs::path> installed_programs(const fs::path& prefix)
{
  std::vector<fs::path> programs = {prefix / MDIVICOM_INSTALL_BINDIR / "mdivicom"};
  std::string names = MDIVICOM_MODULE_FILES; // "a.so:b.so:worker"
  for (size_t start = 0; start <= names.size();) {
    size_t end = std::min(names.find(':', start), names.size());
    programs.push_back(prefix / MDIVICOM_INSTALL_LIBDIR / "mdivicom" / names.substr(start, end - start));
    start = end + 1;
  }
  return programs;
}

bool has_debug_info(const fs::path& file)
{
  CommandResult sections = run_command({"readelf", "-S", "-W", file.string()});
  REQUIRE(sections.exit_code == 0);
  return sections.out.find(".debug_info") != std::string::npos;
}

// Only the installed copy: nothing of the build tree on PATH or in the environment, the example Python
// plugin as a dev root, a home of the test's own.
CommandOptions installed_options(const TempDir& dir)
{
  CommandOptions options = isolated_options(dir);
  options.env["PATH"] = "/usr/bin:/bin";
  options.env["HOME"] = (dir / "home").string();
  options.env["MDIVICOM_MODULE_DIR"] = k_unset;
  options.env["MDIVICOM_PLUGIN_PATH"] = k_unset;
  options.env["MDIVICOM_DEV_PLUGIN_ROOTS"] = (k_examples / "python" / "mdivicom-stream-inventory").string();
  return options;
}

} // namespace

TEST_CASE("an installed mdivicom lists its shipped manifests and runs, verifies and packs a Python plugin from its "
          "prefix alone",
          "[cli][install]")
{
  TempDir dir;
  fs::path prefix = dir / "prefix";
  // Outside the build tree, or the binary would take the build tree's modules and manifests.
  REQUIRE(std::mismatch(k_build.begin(), k_build.end(), prefix.begin(), prefix.end()).first != k_build.end());
  CommandResult installed = install(prefix);
  INFO(installed.out << installed.err);
  REQUIRE(installed.exit_code == 0);
  for (const auto& program : installed_programs(prefix)) {
    INFO(program);
    CHECK(fs::is_regular_file(program));
  }
  fs::path data = prefix / MDIVICOM_INSTALL_DATADIR / "mdivicom";
  CHECK(fs::is_regular_file(data / "schemas" / "plugin-manifest.schema.json"));
  CHECK(fs::is_regular_file(data / "schemas" / "run-record.schema.json"));
  CHECK(fs::is_regular_file(data / "manifests" / "stream-summary.json"));
  // The generated man pages and completions (their content: test_docs_cli.cpp).
  fs::path share = prefix / MDIVICOM_INSTALL_DATADIR;
  CHECK(fs::is_regular_file(prefix / MDIVICOM_INSTALL_MANDIR / "man1" / "mdivicom.1"));
  for (const auto& group : mdivicom::cli::k_command_groups) {
    CHECK(fs::is_regular_file(prefix / MDIVICOM_INSTALL_MANDIR / "man1" /
                              ("mdivicom-" + std::string(group.name) + ".1")));
  }
  CHECK(fs::is_regular_file(share / "bash-completion" / "completions" / "mdivicom"));
  CHECK(fs::is_regular_file(share / "zsh" / "vendor-completions" / "_mdivicom"));
  CHECK(fs::is_regular_file(share / "fish" / "vendor_completions.d" / "mdivicom.fish"));

  CommandOptions options = installed_options(dir);
  const std::string mdivicom = (prefix / MDIVICOM_INSTALL_BINDIR / "mdivicom").string();
  CommandResult listing = run_command({mdivicom, "plugins", "list"}, options);
  INFO(listing.err);
  REQUIRE(listing.exit_code == 0);
  CHECK_THAT(listing.out, Catch::Contains("mdivicom-examples/stream-summary\tcontainer\t0.1.0\n"));
  CHECK_THAT(listing.out, Catch::Contains("mdivicom-examples/stream-inventory\tpython\t0.1.0\n"));
  auto info = nlohmann::json::parse(run_command({mdivicom, "plugins", "info", "stream-summary"}, options).out);
  CHECK(info["manifest_path"] == (data / "manifests" / "stream-summary.json").string());
  CHECK(run_command({mdivicom, "plugins", "validate", (data / "manifests" / "stream-summary.json").string()}, options)
            .exit_code == 0);

  fs::path out = dir / "out";
  CommandResult run = run_command(
      {mdivicom, "run", "stream-inventory", "--dataset", (k_examples / "dataset").string(), "--out", out.string()},
      options);
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(fs::is_regular_file(out / "stream-inventory" / "inventory.csv"));

  CommandResult verified = run_command({mdivicom, "verify", out.string()}, options);
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  fs::path pack = dir / "outputs.tar.gz"; // the archive module
  CommandResult packed = run_command({mdivicom, "pack", out.string(), "-o", pack.string()}, options);
  INFO(packed.err);
  REQUIRE(packed.exit_code == 0);
  CHECK(run_command({mdivicom, "verify", pack.string()}, options).exit_code == 0);

  // With no manifest installed and no other plugin, the listing says so.
  fs::remove(data / "manifests" / "stream-summary.json");
  options.env["MDIVICOM_DEV_PLUGIN_ROOTS"] = k_unset;
  CHECK(run_command({mdivicom, "plugins", "list"}, options).out == "(no plugins found)\n");
}

TEST_CASE("cmake --install strips mdivicom, its modules and the worker unless CMAKE_INSTALL_DO_STRIP is 0",
          "[cli][install]")
{
  TempDir dir;
  CommandResult stripped = install(dir / "stripped");
  INFO(stripped.out << stripped.err);
  REQUIRE(stripped.exit_code == 0);
  for (const auto& program : installed_programs(dir / "stripped")) {
    INFO(program);
    REQUIRE(fs::is_regular_file(program));
    CHECK_FALSE(has_debug_info(program));
  }

  fs::path built = k_build / "mdivicom";
  if (!has_debug_info(built)) {
    WARN("this build has no debug info to keep (CMAKE_BUILD_TYPE without -g)");
    return;
  }
  CommandResult kept = install(dir / "kept", {"-DCMAKE_INSTALL_DO_STRIP=0"});
  INFO(kept.out << kept.err);
  REQUIRE(kept.exit_code == 0);
  CHECK(has_debug_info(dir / "kept" / MDIVICOM_INSTALL_BINDIR / "mdivicom"));
  CommandResult version = run_command({(dir / "kept" / MDIVICOM_INSTALL_BINDIR / "mdivicom").string(), "--version"});
  CHECK(version.exit_code == 0);
}
