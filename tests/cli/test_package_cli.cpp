// The Debian package (cmake/Package.cmake): built by cpack from this build, its control fields
// checked against what its programs link, installed with a real dpkg into a throwaway root (a
// dpkg database of its own), run from there alone, and removed again.

#include <catch2/catch.hpp>

#include "cli/commands.hpp"
#include "install_lock.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <sstream>

using namespace mdivicom::test;
namespace fs = std::filesystem;

namespace {

const fs::path k_build = MDIVICOM_BUILD_DIR;
const fs::path k_examples = fs::path(MDIVICOM_SOURCE_DIR) / "examples";

fs::path build_deb(const fs::path& dir)
{
  InstallLock lock(k_build); // cpack runs the install script
  CommandResult packed = run_command(
      {MDIVICOM_CPACK_COMMAND, "-G", "DEB", "--config", (k_build / "CPackConfig.cmake").string(), "-B", dir.string()});
  INFO(packed.out << packed.err);
  REQUIRE(packed.exit_code == 0);
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".deb") {
      return entry.path();
    }
  }
  FAIL("cpack wrote no .deb into " << dir);
  return {};
}

std::string control_field(const fs::path& deb, const std::string& field)
{
  CommandResult result = run_command({"dpkg-deb", "--field", deb.string(), field});
  REQUIRE(result.exit_code == 0);
  return result.out.substr(0, result.out.find_last_not_of('\n') + 1);
}

// The Debian package of each shared library a program links directly (its NEEDED entries, found
// where the dynamic linker finds them: "libcurl.so.4" gives libcurl4, not another
// architecture's copy).
std::vector<std::string> packages_linked_by(const fs::path& program)
{
  CommandResult dump = run_command({"objdump", "-p", program.string()});
  REQUIRE(dump.exit_code == 0);
  std::vector<std::string> needed;
  std::istringstream words(dump.out);
  for (std::string word; words >> word;) {
    if (word == "NEEDED" && words >> word) {
      needed.push_back(word);
    }
  }
  CommandResult resolved = run_command({"ldd", program.string()});
  REQUIRE(resolved.exit_code == 0);
  std::vector<std::string> packages;
  for (const auto& library : needed) {
    std::string
        path; // "\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x...)" or "\t/lib64/ld-linux-x86-64.so.2 (0x...)"
    std::istringstream lines(resolved.out);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream fields(line);
      std::string first, arrow, target;
      fields >> first >> arrow >> target;
      if (first == library && arrow == "=>") {
        path = target;
      } else if (first.starts_with("/") && fs::path(first).filename() == library) {
        path = first;
      }
    }
    INFO(program << ": " << library << "\n" << resolved.out);
    REQUIRE_FALSE(path.empty());
    // dpkg knows a file by the path its package ships it at: with /usr merged, /lib/x is /usr/lib/x.
    std::string package;
    for (const std::string& candidate : {path, "/usr" + path, path.substr(std::min<size_t>(4, path.size()))}) {
      CommandResult owner = run_command({"dpkg", "--search", candidate});
      if (owner.exit_code == 0 && package.empty()) {
        package = owner.out.substr(0, owner.out.find_first_of(":,"));
      }
    }
    REQUIRE_FALSE(package.empty());
    packages.push_back(package);
  }
  return packages;
}

// A package in a Depends field, as a whole name ("libc6 (>= 2.34)" names libc6).
bool depends_on(const std::string& depends, const std::string& package)
{
  for (size_t at = depends.find(package); at != std::string::npos; at = depends.find(package, at + 1)) {
    bool starts = at == 0 || depends[at - 1] == ' ' || depends[at - 1] == ',' || depends[at - 1] == '|';
    size_t end = at + package.size();
    bool ends = end == depends.size() || depends[end] == ' ' || depends[end] == ',' || depends[end] == ':';
    if (starts && ends) {
      return true;
    }
  }
  return false;
}

// dpkg acting on the throwaway root `dir`/root only. The package's maintainer scripts (CPack's
// `ldconfig` calls, added for any .so under usr/lib) run without a chroot, which would need a
// shell inside the root, and find a no-op ldconfig first on PATH, so that the machine's own
// linker cache is left alone.
CommandResult dpkg_in(const fs::path& dir, const std::vector<std::string>& args)
{
  write_file(dir / "bin" / "ldconfig", "#!/bin/sh\nexit 0\n");
  fs::permissions(dir / "bin" / "ldconfig", fs::perms::owner_all);
  CommandOptions options;
  options.env["PATH"] = (dir / "bin").string() + ":/usr/sbin:/usr/bin:/sbin:/bin";
  std::vector<std::string> argv = {"dpkg", "--root=" + (dir / "root").string(), "--force-not-root",
                                   "--force-script-chrootless", "--log=/dev/null"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, options);
}

} // namespace

TEST_CASE("the .deb holds what cmake --install installs, depends on the packages of the libraries it links, "
          "and installs with dpkg into a throwaway root, runs from there and is removed",
          "[cli][install][deb]")
{
  if (run_command({"sh", "-c", "command -v dpkg-deb && command -v dpkg-shlibdeps"}).exit_code != 0) {
    WARN("dpkg-deb or dpkg-shlibdeps (dpkg-dev) missing: no .deb is built");
    return;
  }
  TempDir dir;
  const fs::path deb = build_deb(dir / "package");
  CHECK(control_field(deb, "Package") == "mdivicom");
  CHECK(control_field(deb, "Version") == MDIVICOM_VERSION);
  std::string architecture = run_command({"dpkg", "--print-architecture"}).out;
  CHECK(control_field(deb, "Architecture") + "\n" == architecture);
  const std::string depends = control_field(deb, "Depends");
  INFO("Depends: " << depends);
  CHECK(depends_on(depends, "libpython" MDIVICOM_PYTHON_TAG "-stdlib")); // the worker's interpreter imports it

  // A throwaway root with an empty dpkg database: the machine's packages are not there, so the
  // dependencies are forced, and its own dpkg installs and removes the package.
  const fs::path root = dir / "root";
  fs::create_directories(root / "var" / "lib" / "dpkg" / "info");
  fs::create_directories(root / "var" / "lib" / "dpkg" / "updates");
  write_file(root / "var" / "lib" / "dpkg" / "status", "");
  CommandResult installed = dpkg_in(dir.path(), {"--force-depends", "--install", deb.string()});
  INFO(installed.out << installed.err);
  REQUIRE(installed.exit_code == 0);

  const fs::path usr = root / "usr";
  const fs::path mdivicom = usr / "bin" / "mdivicom";
  std::vector<fs::path> programs = {mdivicom};
  std::string names = MDIVICOM_MODULE_FILES; // "a.so:b.so:worker"
  for (size_t start = 0; start <= names.size();) {
    size_t end = std::min(names.find(':', start), names.size());
    programs.push_back(usr / MDIVICOM_INSTALL_LIBDIR / "mdivicom" / names.substr(start, end - start));
    start = end + 1;
  }
  for (const auto& program : programs) {
    INFO(program);
    REQUIRE(fs::is_regular_file(program));
    for (const auto& package : packages_linked_by(program)) {
      INFO(package);
      CHECK(depends_on(depends, package));
    }
  }
  CHECK(fs::is_regular_file(usr / "share" / "mdivicom" / "manifests" / "stream-summary.json"));
  CHECK(fs::is_regular_file(usr / "share" / "mdivicom" / "schemas" / "run-record.schema.json"));
  CHECK(fs::is_regular_file(usr / "share" / "man" / "man1" / "mdivicom.1"));
  for (const auto& group : mdivicom::cli::k_command_groups) {
    CHECK(fs::is_regular_file(usr / "share" / "man" / "man1" / ("mdivicom-" + std::string(group.name) + ".1")));
  }
  CHECK(fs::is_regular_file(usr / "share" / "bash-completion" / "completions" / "mdivicom"));
  CHECK(fs::is_regular_file(usr / "share" / "zsh" / "vendor-completions" / "_mdivicom"));
  CHECK(fs::is_regular_file(usr / "share" / "fish" / "vendor_completions.d" / "mdivicom.fish"));

  // The installed copy alone: nothing of the build tree on PATH or in the environment.
  CommandOptions options = isolated_options(dir);
  options.env["PATH"] = "/usr/bin:/bin";
  options.env["HOME"] = (dir / "home").string();
  options.env["MDIVICOM_MODULE_DIR"] = k_unset;
  options.env["MDIVICOM_DEV_PLUGIN_ROOTS"] = (k_examples / "python" / "mdivicom-stream-inventory").string();
  CommandResult version = run_command({mdivicom.string(), "--version"}, options);
  CHECK(version.exit_code == 0);
  CHECK(version.out == run_mdivicom({"--version"}).out);
  CommandResult listing = run_command({mdivicom.string(), "plugins", "list"}, options);
  INFO(listing.err);
  CHECK(listing.exit_code == 0);
  CHECK_THAT(listing.out, Catch::Contains("mdivicom-examples/stream-summary\tcontainer\t0.1.0\n"));
  CHECK_THAT(listing.out, Catch::Contains("mdivicom-examples/stream-inventory\tpython\t0.1.0\n"));
  CommandResult run = run_command({mdivicom.string(), "run", "stream-inventory", "--dataset",
                                   (k_examples / "dataset").string(), "--out", (dir / "out").string()},
                                  options);
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0); // the packaged worker and its interpreter

  CommandResult removed = dpkg_in(dir.path(), {"--purge", "mdivicom"});
  INFO(removed.out << removed.err);
  CHECK(removed.exit_code == 0);
  CHECK(dpkg_in(dir.path(), {"--status", "mdivicom"}).exit_code != 0);
  std::error_code error;      // no usr/ at all is nothing left
  std::vector<fs::path> left; // dpkg also removes the directories it made, once empty
  for (auto entry = fs::recursive_directory_iterator(usr, error); !error && entry != fs::end(entry); ++entry) {
    if (!entry->is_directory()) {
      left.push_back(entry->path());
    }
  }
  CHECK(left.empty());
}
