#include <catch2/catch.hpp>

#include "lanes/inproc/discovery/entry_points.hpp"
#include "lanes/inproc/discovery/pyproject.hpp"
#include "support/temp_dir.hpp"

using namespace mdivicom;
using namespace mdivicom::inproc;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> pairs(const std::vector<EntryPointDecl>& entry_points)
{
  std::vector<std::string> result;
  for (const auto& ep : entry_points) {
    result.push_back(ep.name + "=" + ep.value);
  }
  return result;
}

} // namespace

TEST_CASE("entry_points.txt is read as importlib.metadata reads it", "[inproc][registration]")
{
  std::string text = "[console_scripts]\ntool = tool:main\n\n"
                     "[mdivicomtools.plugins]\n"
                     "# a comment\n"
                     "  sync-audio =  acme.sync : get_plugin [video]  \n"
                     "no-equals-sign\n"
                     "b=acme.b:get_plugin\r\n"
                     "[[mdivicomtools.plugins]]\n"
                     "c = acme.c:get_plugin\n"
                     "[other]\nd = x:y\n";
  CHECK(pairs(parse_entry_points(text, "mdivicomtools.plugins")) ==
        std::vector<std::string>{"sync-audio=acme.sync : get_plugin [video]", "b=acme.b:get_plugin",
                                 "c=acme.c:get_plugin"});
  CHECK(entry_point_ref("acme.sync : get_plugin [video]") == "acme.sync:get_plugin");
  CHECK(normalize_distribution_name("Foo.Bar--baz_Qux") == "foo_bar_baz_qux");
}

TEST_CASE("the first distribution of a name on the path wins, as in importlib.metadata", "[inproc][registration]")
{
  test::TempDir dir;
  auto write_dist = [&](const fs::path& site, const std::string& dir_name, const std::string& ep) {
    test::write_file(site / dir_name / "entry_points.txt", "[mdivicomtools.plugins]\n" + ep + "\n");
  };
  write_dist(dir / "first", "My_Tool-2.0.dist-info", "tool = first:get_plugin");
  write_dist(dir / "second", "my.tool-1.0.dist-info", "tool = second:get_plugin");
  write_dist(dir / "second", "other-1.0.egg-info", "other = other:get_plugin");
  write_dist(dir / "second", "nothing-1.0.dist-info", "");
  auto dists = find_distributions({dir / "missing", dir / "first", dir / "second"});
  REQUIRE(dists.size() == 2);
  CHECK(dists[0].name == "My_Tool");
  CHECK(dists[0].version == "2.0");
  CHECK(dists[0].entry_points[0].value == "first:get_plugin");
  CHECK(dists[1].name == "other");
}

TEST_CASE("pyproject entry points are found in every TOML spelling", "[inproc][registration][toml]")
{
  SECTION("a table header with quoted and bare keys")
  {
    auto info = parse_pyproject(R"(
[project]
name = "acme-tools"   # trailing comment
version = '1.2.3'
dependencies = [
  "numpy>=1.0",  # a comment in an array
  "[project.entry-points.\"mdivicomtools.plugins\"]",
]
description = """
[project.entry-points."mdivicomtools.plugins"]
fake = "not:this"
"""

[ project . entry-points . "mdivicomtools.plugins" ]
sync-audio = "acme.sync:get_plugin"
"quoted.name" = 'acme.q:get_plugin'

[project.entry-points.console_scripts]
acme = "acme.cli:main"
)");
    REQUIRE(info);
    CHECK(info->project_name == "acme-tools");
    CHECK(info->project_version == "1.2.3");
    CHECK(pairs(info->entry_points) ==
          std::vector<std::string>{"sync-audio=acme.sync:get_plugin", "quoted.name=acme.q:get_plugin"});
  }
  SECTION("dotted keys")
  {
    auto info = parse_pyproject(R"(
[project]
name = "x"
entry-points."mdivicomtools.plugins".one = "m.one:get_plugin"
entry-points."mdivicomtools.plugins".two = "m.two:get_plugin"
)");
    REQUIRE(info);
    CHECK(pairs(info->entry_points) == std::vector<std::string>{"one=m.one:get_plugin", "two=m.two:get_plugin"});
  }
  SECTION("an inline table, in the file's order rather than sorted")
  {
    auto info = parse_pyproject(R"(
[project.entry-points]
"mdivicomtools.plugins" = { two = "m.two:get_plugin", "three" = "m.three:get_plugin", one = "m.one:get_plugin" }
)");
    REQUIRE(info);
    CHECK(pairs(info->entry_points) ==
          std::vector<std::string>{"two=m.two:get_plugin", "three=m.three:get_plugin", "one=m.one:get_plugin"});
  }
  SECTION("a table defined twice is refused, as Python's tomllib refuses it")
  {
    auto info = parse_pyproject(R"(
[project]
entry-points."mdivicomtools.plugins".one = "m.one:get_plugin"

[project.entry-points]
"mdivicomtools.plugins" = { two = "m.two:get_plugin" }
)");
    REQUIRE_FALSE(info);
    CHECK_THAT(info.error(), Catch::StartsWith("line 5: "));
  }
  SECTION("escapes in basic strings")
  {
    auto info = parse_pyproject("[project]\nname = \"caf\\u00e9 \\\"x\\\"\"\n");
    REQUIRE(info);
    CHECK(info->project_name == "café \"x\"");
  }
}

TEST_CASE("malformed pyproject.toml gives the line and the problem", "[inproc][registration][toml]")
{
  // The problems in toml++'s words.
  auto unterminated = parse_pyproject("[project]\nname = \"open\n");
  REQUIRE_FALSE(unterminated);
  CHECK_THAT(unterminated.error(), Catch::StartsWith("line 2: Error while parsing string"));
  auto no_value = parse_pyproject("[project]\n\nname =\n");
  REQUIRE_FALSE(no_value);
  CHECK_THAT(no_value.error(), Catch::StartsWith("line 3: ") && Catch::Contains("expected value"));
  auto junk = parse_pyproject("[project]\nname = \"x\" y\n");
  REQUIRE_FALSE(junk);
  CHECK_THAT(junk.error(), Catch::StartsWith("line 2: ") && Catch::Contains("saw 'y'"));
  auto header = parse_pyproject("[project\nname = 1\n");
  REQUIRE_FALSE(header);
  CHECK_THAT(header.error(), Catch::StartsWith("line 1: ") && Catch::Contains("expected ']'"));
}

TEST_CASE("pyproject.toml nesting past toml++'s limits is refused with the line, not a crash",
          "[inproc][registration][toml]")
{
  auto arrays = parse_pyproject("[project]\nname = " + std::string(300, '[') + std::string(300, ']') + "\n");
  REQUIRE_FALSE(arrays);
  CHECK_THAT(arrays.error(), Catch::StartsWith("line 2: ") && Catch::Contains("maximum nested value depth of 256"));
  std::string inline_tables;
  for (int i = 0; i < 300; ++i) {
    inline_tables += "{a = ";
  }
  auto tables = parse_pyproject("x = " + inline_tables + "1" + std::string(300, '}') + "\n");
  REQUIRE_FALSE(tables);
  CHECK_THAT(tables.error(), Catch::Contains("maximum nested value depth of 256"));
  std::string header = "[a";
  for (int i = 0; i < 20000; ++i) {
    header += ".a";
  }
  auto headers = parse_pyproject("[project]\nname = \"n\"\n\n" + header + "]\n");
  REQUIRE_FALSE(headers);
  CHECK(headers.error() == "line 4: more than 10000 dots outside strings, more than mdivicom reads (they nest "
                           "tables too deep)");
}

TEST_CASE("dots inside strings, multi-line strings and comments do not count toward the limit",
          "[inproc][registration][toml]")
{
  std::string dots(20000, '.');
  auto info = parse_pyproject("# " + dots + "\n[project]\nname = \"" + dots + "\"\nversion = '" + dots +
                              "'\ndescription = \"\"\"\n" + dots + "\\\"\"\"" + dots + "\"\"\"\n");
  REQUIRE(info);
  CHECK(info->project_name == dots);
  CHECK(info->project_version == dots);
}

TEST_CASE("input on which toml++ 3.3 breaks its own checks is refused as malformed, not a crash",
          "[inproc][registration][toml]")
{
  // Found by fuzz_pyproject: a character that is not ASCII outside strings reached toml++'s
  // __builtin_unreachable; a broken table header failed its internal assert (an assumption
  // under NDEBUG).
  auto not_ascii = parse_pyproject("[project]\nname = \"n\"\n[tool\xc2\xa0x]\n");
  REQUIRE_FALSE(not_ascii);
  CHECK(not_ascii.error() == "line 3: a character that is not ASCII outside a string or comment");
  auto in_strings = parse_pyproject("# caf\xc3\xa9\n[project]\nname = \"caf\xc3\xa9\" # \xc2\xa0\n");
  REQUIRE(in_strings);
  CHECK(in_strings->project_name == "caf\xc3\xa9");
  auto header = parse_pyproject("[project]\nentry-points{=d \" m\" = { a = \"m:f\" } }\n");
  REQUIRE_FALSE(header);
}
