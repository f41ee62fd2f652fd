// `-v` logs the environment for bug reports: never a secret's value, by the rules that keep
// secrets out of configs and run logs (core/config/redact.hpp).
#include <catch2/catch.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

using mdivicom::test::CommandOptions;
using mdivicom::test::isolated_options;
using mdivicom::test::run_mdivicom;
using mdivicom::test::TempDir;

TEST_CASE("verbose: -v redacts secret environment values (GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, *_PASSWORD) wherever "
          "they show",
          "[cli][verbose][help]")
{
  TempDir dir;
  CommandOptions options = isolated_options(dir);
  options.env["GITHUB_TOKEN"] = "ghp_0123456789abcdefTOKEN";
  options.env["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRET";
  options.env["LAB_DB_PASSWORD"] = "correct-horse-battery";
  options.env["PIP_INDEX_URL"] = "https://ada:urlpass1234@pypi.example.org/simple";
  options.env["HELPER_COMMAND"] = "echo ghp_0123456789abcdefTOKEN"; // a secret inside another variable
  options.env["LAB_NAME"] = "kept-visible";
  for (const auto& args : std::vector<std::vector<std::string>>{{"-v", "plugins", "list"}, {"plugins", "list", "-v"}}) {
    auto result = run_mdivicom(args, options);
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.err, Catch::Contains("env: GITHUB_TOKEN=***REDACTED***"));
    CHECK_THAT(result.err, Catch::Contains("env: AWS_SECRET_ACCESS_KEY=***REDACTED***"));
    CHECK_THAT(result.err, Catch::Contains("env: LAB_DB_PASSWORD=***REDACTED***"));
    CHECK_THAT(result.err, Catch::Contains("env: PIP_INDEX_URL=https://ada:***REDACTED***@pypi.example.org/simple"));
    CHECK_THAT(result.err, Catch::Contains("env: HELPER_COMMAND=echo ***REDACTED***"));
    CHECK_THAT(result.err, Catch::Contains("env: LAB_NAME=kept-visible"));
    for (const char* secret : {"ghp_0123456789abcdefTOKEN", "wJalrXUtnFEMI", "correct-horse-battery", "urlpass1234"}) {
      CHECK_THAT(result.err, !Catch::Contains(secret));
    }
  }
}
