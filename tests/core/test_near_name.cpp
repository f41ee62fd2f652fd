#include <catch2/catch.hpp>

#include "core/util/near_name.hpp"

using mdivicom::edit_distance;
using mdivicom::nearest_name;

TEST_CASE("edit_distance counts insertions, deletions and substitutions", "[core][near_name]")
{
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("plugins", "plugins") == 0);
  CHECK(edit_distance("plugns", "plugins") == 1); // a letter left out
  CHECK(edit_distance("--datset", "--dataset") == 1);
  CHECK(edit_distance("lsit", "list") == 2); // a swap is two substitutions
  CHECK(edit_distance("abc", "") == 3);
}

TEST_CASE("nearest_name suggests the near name of a typo and nothing for an unrelated word", "[core][near_name]")
{
  const std::vector<std::string> commands = {"plugins", "run", "batch", "verify", "pack", "doctor", "gc", "help"};
  CHECK(nearest_name("plugns", commands) == "plugins");
  CHECK(nearest_name("verfy", commands) == "verify");
  CHECK(nearest_name("rn", commands) == "run");
  CHECK(nearest_name("ls", commands).empty()); // 2 edits from "gc", but all of the word
  CHECK(nearest_name("deploy", commands).empty());
  CHECK(nearest_name("--datset", {"--out", "--dataset", "--dataset-hash"}) == "--dataset");
  CHECK(nearest_name("anything", {}).empty());
}
