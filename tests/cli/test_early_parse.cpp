// The early parse (cli/early_parse.hpp), which starts the Python worker before CLI11 builds the
// whole command line, against the full parse of `run`: the lane and interpreter it picks must
// be those the run will use, for every option `run` has.
#include <catch2/catch.hpp>

#include "cli/early_parse.hpp"
#include "cli/run_arguments.hpp"
#include "lanes/inproc/discovery/python_env.hpp"

#include <optional>
#include <string>
#include <vector>

using namespace mdivicom;
using namespace mdivicom::cli;

namespace {

EarlyParse early(std::vector<std::string> args)
{
  args.insert(args.begin(), "mdivicom");
  std::vector<const char*> argv;
  for (const auto& arg : args) {
    argv.push_back(arg.c_str());
  }
  return early_parse(static_cast<int>(argv.size()), argv.data());
}

// The full parse of `run`, declared as the real command declares it; nullopt when CLI11
// refuses the command line.
std::optional<RunOptions> full(std::vector<std::string> args)
{
  CLI::App app;
  RunArguments arguments;
  add_run_options(*app.add_subcommand("run"), arguments);
  args.insert(args.begin(), "mdivicom");
  std::vector<const char*> argv;
  for (const auto& arg : args) {
    argv.push_back(arg.c_str());
  }
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError&) {
    return std::nullopt;
  }
  return run_options_of(arguments);
}

// What the early worker depends on: whether the Python lane is warmed up, and in which
// interpreter (by the function the lane itself asks).
std::string lane_choice(const RunOptions& options)
{
  if (!RunLanes::warms_python(options.backend)) {
    return "no Python lane (--backend " + options.backend + ")";
  }
  auto executable = inproc::python_executable_from_options(options.lane_options);
  return executable ? "Python " + executable->string() : "Python, refused: " + executable.error();
}

// Values to give each option of `run`, to find some that it accepts.
const std::vector<std::string> k_candidate_values = {"python",
                                                     "docker",
                                                     "podman",
                                                     "auto",
                                                     "/nonexistent/venv",
                                                     "1",
                                                     "off",
                                                     "fast",
                                                     "never",
                                                     "always",
                                                     "{}",
                                                     "plugin_strict",
                                                     "unix:///run/mdivicom-test.sock"};

const std::vector<std::string> k_plain_run = {"run", "p", "--dataset", "d", "--out", "o"};

} // namespace

TEST_CASE("every option of run that changes the lane or the interpreter is read by the early parse as by the full one",
          "[cli][early_parse]")
{
  CLI::App app;
  RunArguments arguments;
  CLI::App* run = app.add_subcommand("run");
  add_run_options(*run, arguments);
  const std::string plain_choice = lane_choice(*full(k_plain_run));
  size_t options_that_change_it = 0;
  for (const CLI::Option* option : run->get_options()) {
    if (option->get_positional() || option == run->get_help_ptr()) {
      continue;
    }
    const std::string name =
        option->get_lnames().empty() ? "-" + option->get_snames()[0] : "--" + option->get_lnames()[0];
    std::vector<std::vector<std::string>> uses = {{name}}; // as a flag
    for (const auto& value : k_candidate_values) {
      uses.push_back({name, value});
    }
    size_t accepted = 0;
    for (const auto& use : uses) {
      std::vector<std::string> args = {"run", "p"};
      for (const char* required : {"--dataset", "--out"}) {
        if (name != required) {
          args.insert(args.end(), {required, "x"});
        }
      }
      args.insert(args.end(), use.begin(), use.end());
      const std::optional<RunOptions> parsed = full(args);
      if (!parsed) {
        continue;
      }
      ++accepted;
      INFO(use[0] << " " << (use.size() > 1 ? use[1] : ""));
      const EarlyParse seen = early(args);
      REQUIRE(seen.run.has_value());
      CHECK(lane_choice(*seen.run) == lane_choice(*parsed));
      options_that_change_it += lane_choice(*parsed) != plain_choice ? 1 : 0;
    }
    INFO(name << ": add a value it accepts to k_candidate_values");
    CHECK(accepted > 0);
  }
  // --backend (docker, podman) and --python-env at least; else this test checks nothing.
  CHECK(options_that_change_it >= 3);
}

TEST_CASE("the early parse finds the command group past the global options and leaves the rest to the full parse",
          "[cli][early_parse]")
{
  EarlyParse plain = early({"-v", "run", "p", "--dataset", "d", "--out", "o", "--config", "{\"a\": 1}"});
  REQUIRE(plain.group != nullptr);
  CHECK(std::string(plain.group->name) == "run");
  REQUIRE(plain.run.has_value());
  CHECK(plain.run->backend == "auto");
  CHECK_FALSE(plain.run->lane_options.contains("python_env"));

  // A plugin and directories named like command groups are a run's still.
  EarlyParse named_like_groups = early({"run", "gc", "--dataset", "plugins", "--out", "verify"});
  REQUIRE(named_like_groups.group != nullptr);
  CHECK(std::string(named_like_groups.group->name) == "run");

  EarlyParse engine = early({"run", "p", "--backend", "docker", "--engine", "unix:///x.sock"});
  REQUIRE(engine.run.has_value());
  CHECK(engine.run->backend == "docker");
  CHECK_FALSE(RunLanes::warms_python(engine.run->backend));

  EarlyParse env = early({"run", "p", "--python-env=/opt/venv", "--dataset", "d"});
  REQUIRE(env.run.has_value());
  CHECK(env.run->lane_options["python_env"] == "/opt/venv");

  EarlyParse help = early({"run", "p", "--help"});
  REQUIRE(help.group != nullptr);
  CHECK(std::string(help.group->name) == "run");
  CHECK_FALSE(help.run.has_value()); // no worker for a help text

  EarlyParse listing = early({"plugins", "list", "--json"});
  REQUIRE(listing.group != nullptr);
  CHECK(std::string(listing.group->name) == "plugins");
  CHECK_FALSE(listing.run.has_value());

  // Every group is built for these, and the full parse answers.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {}, {"--version"}, {"--help"}, {"nope"}, {"run", "p", "--backend"}, {"run", "p", "--backend", "bogus"}}) {
    EarlyParse none = early(args);
    CHECK(none.group == nullptr);
    CHECK_FALSE(none.run.has_value());
  }
}
