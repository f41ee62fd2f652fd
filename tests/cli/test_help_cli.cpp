// Help and usage errors that guide: "did you mean" for commands and options, `mdivicom help`,
// a bare group's usage, global options after the command, examples and the environment.
#include <catch2/catch.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using mdivicom::test::isolated_options;
using mdivicom::test::run_mdivicom;
using mdivicom::test::TempDir;

namespace fs = std::filesystem;

namespace {

// Every command and subcommand of mdivicom, as `help` takes them.
const std::vector<std::vector<std::string>> k_commands = {
    {"plugins"},
    {"plugins", "list"},
    {"plugins", "info"},
    {"plugins", "validate"},
    {"run"},
    {"batch"},
    {"batch", "status"},
    {"resultbundles"},
    {"resultbundles", "inspect"},
    {"resultbundles", "validate"},
    {"resultbundles", "policies"},
    {"runs"},
    {"report"},
    {"verify"},
    {"pack"},
    {"doctor"},
    {"gc"},
    {"help"},
};

} // namespace

TEST_CASE("help: a mistyped command, subcommand or option is a usage error that names the near one", "[cli][help]")
{
  TempDir dir;
  auto command = run_mdivicom({"plugns", "list"}, isolated_options(dir));
  CHECK(command.exit_code == 2);
  CHECK_THAT(command.err, Catch::Contains("'mdivicom' has no command 'plugns'; did you mean 'plugins'?"));

  auto subcommand = run_mdivicom({"plugins", "lst"}, isolated_options(dir));
  CHECK(subcommand.exit_code == 2);
  CHECK_THAT(subcommand.err, Catch::Contains("'mdivicom plugins' has no command 'lst'; did you mean 'list'?"));

  auto option = run_mdivicom({"run", "p", "--datset", "d", "--out", "o"}, isolated_options(dir));
  CHECK(option.exit_code == 2);
  CHECK_THAT(option.err, Catch::Contains("'mdivicom run' has no option '--datset'; did you mean '--dataset'?"));

  // A global option mistyped after a command is suggested too (options of the commands above).
  auto global = run_mdivicom({"plugins", "list", "--verbos"}, isolated_options(dir));
  CHECK(global.exit_code == 2);
  CHECK_THAT(global.err, Catch::Contains("did you mean '--verbose'?"));

  // Nothing near: no suggestion, but where to look.
  auto unrelated = run_mdivicom({"deploy"}, isolated_options(dir));
  CHECK(unrelated.exit_code == 2);
  CHECK_THAT(unrelated.err, Catch::Contains("'mdivicom' has no command 'deploy'"));
  CHECK_THAT(unrelated.err, !Catch::Contains("did you mean"));
  CHECK_THAT(unrelated.err, Catch::Contains("Run 'mdivicom help'"));
}

TEST_CASE("help: mdivicom help [command [sub]] prints that command's help on stdout and exits 0", "[cli][help]")
{
  TempDir dir;
  auto top = run_mdivicom({"help"}, isolated_options(dir));
  CHECK(top.exit_code == 0);
  CHECK_THAT(top.out, Catch::StartsWith("mdivicom: run lab data-processing plugins reproducibly\nUsage: mdivicom "));
  CHECK(top.out == run_mdivicom({"--help"}, isolated_options(dir)).out);

  auto validate = run_mdivicom({"help", "plugins", "validate"}, isolated_options(dir));
  CHECK(validate.exit_code == 0);
  CHECK_THAT(validate.out, Catch::Contains("Usage: mdivicom plugins validate [OPTIONS] files..."));
  CHECK(validate.out == run_mdivicom({"plugins", "validate", "--help"}, isolated_options(dir)).out);

  auto typo = run_mdivicom({"help", "plugins", "valdate"}, isolated_options(dir));
  CHECK(typo.exit_code == 2);
  CHECK(typo.out.empty());
  CHECK_THAT(typo.err, Catch::Contains("'mdivicom plugins' has no command 'valdate'; did you mean 'validate'?"));
}

TEST_CASE("help: a bare group, or no command at all, prints its usage to stderr and exits 2", "[cli][help]")
{
  TempDir dir;
  auto plugins = run_mdivicom({"plugins"}, isolated_options(dir));
  CHECK(plugins.exit_code == 2);
  CHECK(plugins.out.empty());
  CHECK_THAT(plugins.err, Catch::Contains("'mdivicom plugins' needs a command: list, info or validate"));
  CHECK_THAT(plugins.err, Catch::Contains("Usage: mdivicom plugins [OPTIONS] SUBCOMMAND"));
  CHECK_THAT(plugins.err, Catch::Contains("Examples:"));

  auto bundles = run_mdivicom({"resultbundles"}, isolated_options(dir));
  CHECK(bundles.exit_code == 2);
  CHECK_THAT(bundles.err, Catch::Contains("Usage: mdivicom resultbundles"));

  auto nothing = run_mdivicom({}, isolated_options(dir));
  CHECK(nothing.exit_code == 2);
  CHECK_THAT(nothing.err, Catch::Contains("'mdivicom' needs a command: plugins, run,"));
  CHECK_THAT(nothing.err, Catch::Contains("Usage: mdivicom [OPTIONS] SUBCOMMAND"));
}

TEST_CASE("help: global options are accepted after the command and its subcommand", "[cli][help]")
{
  TempDir dir;
  auto before = run_mdivicom({"-v", "plugins", "list"}, isolated_options(dir));
  auto after = run_mdivicom({"plugins", "list", "-v"}, isolated_options(dir));
  auto between = run_mdivicom({"plugins", "--verbose", "list"}, isolated_options(dir));
  for (const auto* result : {&before, &after, &between}) {
    CHECK(result->exit_code == 0);
    CHECK_THAT(result->err, Catch::Contains("mdivicom: debug: argv: "));
  }
  auto version = run_mdivicom({"doctor", "--version"}, isolated_options(dir));
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.out, Catch::StartsWith("mdivicom "));
}

TEST_CASE("help: every command's help has examples", "[cli][help]")
{
  TempDir dir;
  for (const auto& command : k_commands) {
    std::vector<std::string> args = {"help"};
    args.insert(args.end(), command.begin(), command.end());
    auto result = run_mdivicom(args, isolated_options(dir));
    INFO(Catch::Detail::stringify(command) << "\n" << result.out << result.err);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("\nExamples:\n  mdivicom "));
  }
}

// Fails when code reads a new environment variable that the help does not explain.
TEST_CASE("help: the top-level help lists every environment variable mdivicom reads", "[cli][help]")
{
  // Read by mdivicom but not settings of its own: the system's, or Python's own.
  const std::set<std::string> not_listed = {"HOME",           "TZ", "PYTHONPATH", "PYTHONNOUSERSITE", "PYTHONUSERBASE",
                                            "XDG_RUNTIME_DIR"};
  const std::regex read(R"re((?:getenv|env_value|env_or_empty|opted_out|path_list)\("([A-Z_]+)"\))re");
  std::set<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(MDIVICOM_SOURCE_DIR) / "src")) {
    if (entry.path().extension() != ".cpp" && entry.path().extension() != ".hpp") {
      continue;
    }
    std::ifstream file(entry.path());
    std::stringstream text;
    text << file.rdbuf();
    const std::string source = text.str();
    for (std::sregex_iterator it(source.begin(), source.end(), read), end; it != end; ++it) {
      names.insert((*it)[1]);
    }
  }
  CHECK(names.count("MDIVICOM_PLUGIN_PATH") == 1); // the scan itself works
  TempDir dir;
  auto help = run_mdivicom({"--help"}, isolated_options(dir));
  REQUIRE(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("Environment:"));
  for (const auto& name : names) {
    if (not_listed.count(name) == 0) {
      INFO(name);
      CHECK_THAT(help.out, Catch::Contains("  " + name));
    }
  }
  CHECK_THAT(help.out, Catch::Contains("DOCKER_HOST, CONTAINER_HOST"));
}
