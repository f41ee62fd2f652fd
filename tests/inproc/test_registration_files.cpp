#include <catch2/catch.hpp>

#include "lanes/inproc/entry_points.hpp"
#include "lanes/inproc/pyproject.hpp"
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
  SECTION("dotted keys and an inline table")
  {
    auto info = parse_pyproject(R"(
[project]
name = "x"
entry-points."mdivicomtools.plugins".one = "m.one:get_plugin"

[project.entry-points]
"mdivicomtools.plugins" = { two = "m.two:get_plugin", "three" = "m.three:get_plugin" }
)");
    REQUIRE(info);
    CHECK(pairs(info->entry_points) ==
          std::vector<std::string>{"one=m.one:get_plugin", "two=m.two:get_plugin", "three=m.three:get_plugin"});
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
  auto unterminated = parse_pyproject("[project]\nname = \"open\n");
  REQUIRE_FALSE(unterminated);
  CHECK(unterminated.error() == "line 2: unterminated string");
  auto no_value = parse_pyproject("[project]\n\nname =\n");
  REQUIRE_FALSE(no_value);
  CHECK(no_value.error() == "line 3: expected a value");
  auto junk = parse_pyproject("[project]\nname = \"x\" y\n");
  REQUIRE_FALSE(junk);
  CHECK(junk.error() == "line 2: expected the end of the line");
  auto header = parse_pyproject("[project\nname = 1\n");
  REQUIRE_FALSE(header);
  CHECK(header.error() == "line 1: expected ']'");
}
