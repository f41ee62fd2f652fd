// Every problem of a manifest in one pass: valijson's summaries of nested failures ("failed to
// validate against schema associated with property name 'meta'") are left out, but a node's own
// error stays even when a field below it errs too.
#include <catch2/catch.hpp>

#include "core/json/schema.hpp"
#include "core/plugins/manifest_problems.hpp"

#include <algorithm>

using mdivicom::manifest_problems;
using mdivicom::ManifestProblem;
using nlohmann::json;

namespace {

std::vector<std::string> pointers_of(const std::vector<ManifestProblem>& problems)
{
  std::vector<std::string> pointers;
  for (const auto& problem : problems) {
    pointers.push_back(problem.pointer);
  }
  std::sort(pointers.begin(), pointers.end());
  return pointers;
}

} // namespace

TEST_CASE("a manifest with 5 problems at several depths reports all 5 at once", "[core][manifest][plugins]")
{
  const json manifest = {
      {"meta",
       {{"api_version", "mdivicomtools.plugin.v0.1"},
        {"id", "five"},
        {"kind", "container"},
        {"version", 3}}}, // depth 2: not a string; and depth 1: meta has no description
      {"entry",
       {{"image", "localhost/five:1"}, // depth 1: no argv
        {"resources",
         {{"cpus", 0},          // depth 3: not above 0
          {"memory", "5m"}}}}}, // depth 3: below 6m, a rule of code, not of the schema
  };
  const auto problems = manifest_problems(manifest);
  std::string all;
  for (const auto& problem : problems) {
    all += to_string(problem) + "\n";
  }
  INFO(all);
  CHECK(pointers_of(problems) == std::vector<std::string>{"/entry", "/entry/resources/cpus", "/entry/resources/memory",
                                                          "/meta", "/meta/version"});
  CHECK_THAT(all, Catch::Contains("/meta: Missing required property 'description'"));
  CHECK_THAT(all, Catch::Contains("/entry: Missing required property 'argv'"));
  CHECK_THAT(all, Catch::Contains("/meta/version: Value type not permitted"));
  CHECK_THAT(all, Catch::Contains("/entry/resources/memory: expected bytes or a size like 512m (at least 6m)"));
  CHECK_THAT(all, !Catch::Contains("Failed to validate against schema associated with"));
}

TEST_CASE("a schema's own error at a node is kept beside the errors of its children", "[core][schema]")
{
  const json schema = json::parse(R"({
    "type": "object",
    "required": ["a", "b"],
    "properties": {"a": {"type": "object", "required": ["x"], "properties": {"y": {"type": "string"}}}}
  })");
  const auto violations = mdivicom::JsonSchema(schema).validate(json::parse(R"({"a": {"y": 1}})"));
  std::vector<std::string> seen;
  for (const auto& violation : violations) {
    seen.push_back(violation.pointer + " " + violation.message);
  }
  std::sort(seen.begin(), seen.end());
  INFO(Catch::Detail::stringify(seen));
  REQUIRE(seen.size() == 3);
  CHECK_THAT(seen[0], Catch::StartsWith(" Missing required property 'b'"));
  CHECK_THAT(seen[1], Catch::StartsWith("/a Missing required property 'x'"));
  CHECK_THAT(seen[2], Catch::StartsWith("/a/y Value type not permitted"));
}

TEST_CASE("the manifest schema takes gpus, shm_size and tmp_size of a container and refuses what cannot be used",
          "[core][manifest][plugins]")
{
  auto problems_with = [](const json& resources) {
    const json manifest = {
        {"meta",
         {{"api_version", "mdivicomtools.plugin.v0.1"},
          {"id", "gpu-tool"},
          {"kind", "container"},
          {"version", "1.0.0"},
          {"description", "uses GPUs"}}},
        {"entry", {{"image", "localhost/gpu-tool:1"}, {"argv", {"run"}}, {"resources", resources}}},
    };
    std::string all;
    for (const auto& problem : manifest_problems(manifest)) {
      all += to_string(problem) + "\n";
    }
    return all;
  };
  for (const json& resources : {json{{"gpus", "all"}}, json{{"gpus", 2}}, json{{"gpus", {"0", "GPU-3a4b"}}},
                                json{{"shm_size", "1g"}, {"tmp_size", 268435456}}, json{{"shm_size", "1m"}}}) {
    INFO(resources.dump());
    CHECK(problems_with(resources).empty());
  }
  for (const json& gpus : {json("some"), json(0), json::array(), json{""}, json(1.5)}) {
    INFO(gpus.dump());
    CHECK_THAT(problems_with({{"gpus", gpus}}), Catch::StartsWith("/entry/resources/gpus: "));
  }
  for (const char* name : {"shm_size", "tmp_size"}) {
    INFO(name);
    CHECK_THAT(problems_with({{name, "1t"}}), Catch::Contains(std::string("/entry/resources/") + name));
    CHECK_THAT(problems_with({{name, 1024}}), Catch::Contains(std::string("/entry/resources/") + name));
    CHECK(problems_with({{name, "512k"}}) ==
          std::string("/entry/resources/") + name + ": expected bytes or a size like 512m (at least 1m)\n");
    CHECK(problems_with({{name, "0"}}) ==
          std::string("/entry/resources/") + name + ": expected bytes or a size like 512m (at least 1m)\n");
  }
  CHECK_THAT(problems_with({{"gpu", 1}}), Catch::Contains("/entry/resources")); // a misspelt key: not allowed
}
