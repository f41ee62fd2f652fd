// JSON Schema patterns matched with RE2 (core/json/pattern.*), the formats checked without
// std::regex (core/json/formats.*), and both as config schemas meet them (issue 15, class 5).
#include "core/config/config.hpp"
#include "core/config/schema.hpp"
#include "core/json/formats.hpp"
#include "core/json/pattern.hpp"
#include "core/json/schema.hpp"
#include "core/util/error.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using mdivicom::check_config_against_schema;
using mdivicom::Config;
using mdivicom::JsonSchema;
using mdivicom::load_config;
using mdivicom::SchemaPattern;

namespace {

// The message of the usage error a check throws (and fails the test if it throws none).
std::string refusal(const Config& config, const nlohmann::json& schema)
{
  try {
    check_config_against_schema(config, schema, "lab/x");
  } catch (const mdivicom::Error& e) {
    CHECK(e.code() == mdivicom::ExitCode::usage);
    return e.what();
  }
  FAIL("the config was accepted");
  return "";
}

Config config_with(const std::string& key, const std::string& value)
{
  return load_config(nlohmann::json({{key, value}}).dump());
}

double seconds_since(std::chrono::steady_clock::time_point start)
{
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

TEST_CASE("a config schema pattern that backtracks catastrophically checks a long string fast and correctly",
          "[core][schema][pattern]")
{
  // std::regex (valijson's) overflowed the stack on these, or ran for ages.
  const std::string long_a(200000, 'a');
  auto start = std::chrono::steady_clock::now();
  auto schema = nlohmann::json::parse(R"({"properties": {"name": {"pattern": "^(a*)*b$"}}})");
  CHECK_THAT(refusal(config_with("name", long_a), schema),
             Catch::Contains("plugin lab/x: config /name: string ") && Catch::Contains("does not match pattern"));
  CHECK_NOTHROW(check_config_against_schema(config_with("name", long_a + "b"), schema, "lab/x"));

  auto keys = nlohmann::json::parse(R"({"patternProperties": {"^(a|aa)+$": {"type": "integer"}}})");
  CHECK_THAT(refusal(config_with(long_a, "text"), keys), Catch::Contains("a type the schema does not allow"));
  CHECK_NOTHROW(check_config_against_schema(config_with(long_a + "!", "text"), keys, "lab/x"));

  auto names = nlohmann::json::parse(R"({"propertyNames": {"pattern": "^(a|a)*$"}})");
  CHECK_NOTHROW(check_config_against_schema(config_with(long_a, "x"), names, "lab/x"));
  CHECK_THAT(refusal(config_with(long_a + "b", "x"), names), Catch::Contains("plugin lab/x: config value {") &&
                                                                 Catch::Contains(": property name \"aaaa") &&
                                                                 Catch::Contains("is not allowed by propertyNames"));

  auto date = nlohmann::json::parse(R"({"properties": {"day": {"format": "date"}}})");
  CHECK_NOTHROW(check_config_against_schema(config_with("day", std::string(200000, '2') + "-02-29"), date, "lab/x"));
  CHECK_THAT(refusal(config_with("day", std::string(200000, '2') + "-02-30"), date),
             Catch::Contains("/day") && Catch::Contains("valid date"));
  CHECK(seconds_since(start) < 5.0); // ~50 ms; generous for a loaded machine and the sanitizers
}

TEST_CASE("a config schema pattern RE2 cannot match is refused when the schema is compiled, naming it and why",
          "[core][schema][pattern]")
{
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"(^(a)\1$)", R"(pattern "^(a)\\1$" is not supported: a backreference (\1); mdivicom matches patterns with )"
                     "RE2, which has no backreferences, lookahead or lookbehind"},
      {R"(^(?<x>a)\k<x>$)", "a named group written (?<name>...) (RE2 writes it (?P<name>...))"},
      {"^(?=a)", "is not supported: a lookahead ((?=)"},
      {"^(?!a)", "is not supported: a lookahead ((?!)"},
      {"(?<=a)b", "is not supported: a lookbehind ((?<=)"},
      {"(?<!a)b", "is not supported: a lookbehind ((?<!)"},
      {R"(\u00e9)", R"(the escape \u (write the character itself, or \x{hex} as RE2 does))"},
      {"(a", "is not a valid regular expression for RE2 (missing ): (a)"},
      {"a{1001}", "is not a valid regular expression for RE2 (invalid repetition size: {1001})"},
      {".{1000}.{1000}", "RE2 compiles it to 16004 instructions, more than the 10000 mdivicom accepts"},
      {std::string(5000, 'a'), "longer than 4096 bytes"},
      {std::string("a\0b", 3), "it contains a NUL character"},
  };
  for (const auto& [pattern, why] : cases) {
    INFO(pattern);
    // In "pattern", in a key of "patternProperties", and behind a $ref: refused whatever the config.
    for (const auto& schema : {nlohmann::json{{"properties", {{"name", {{"pattern", pattern}}}}}},
                               nlohmann::json{{"patternProperties", {{pattern, true}}}},
                               nlohmann::json{{"definitions", {{"p", {{"pattern", pattern}}}}},
                                              {"properties", {{"other", {{"$ref", "#/definitions/p"}}}}}}}) {
      std::string message = refusal(load_config("{}"), schema);
      CHECK_THAT(message, Catch::StartsWith("plugin lab/x: meta.config_schema: pattern ") && Catch::Contains(why) &&
                              Catch::EndsWith("fix the plugin's manifest or tell its author"));
    }
    mdivicom::SchemaPatterns patterns;
    CHECK_THROWS_AS(patterns.add(pattern), mdivicom::Error);
  }
}

TEST_CASE("ordinary patterns match as JSON Schema says: a search, not anchored, by character",
          "[core][schema][pattern]")
{
  auto schema = nlohmann::json::parse(R"({"properties": {"id": {"pattern": "^[a-z0-9][a-z0-9._-]*$"},
    "code": {"pattern": "\\d{3}"}, "one": {"pattern": "^.$"}, "path": {"pattern": "^\\/"}}})");
  CHECK_NOTHROW(check_config_against_schema(load_config(R"({"id": "eye-track.v2", "code": "x123y",
    "one": "é", "path": "/data"})"),
                                            schema, "lab/x"));
  CHECK_THAT(refusal(load_config(R"({"id": "Eye"})"), schema),
             Catch::Contains("config /id: string \"Eye\" does not match pattern \"^[a-z0-9][a-z0-9._-]*$\""));
  CHECK_THAT(refusal(load_config(R"({"code": "12"})"), schema), Catch::Contains("/code"));
  CHECK_THAT(refusal(load_config(R"({"one": "ab"})"), schema), Catch::Contains("/one"));
  // Inside not, anyOf and patternProperties too.
  auto nested = nlohmann::json::parse(R"({"not": {"properties": {"a": {"pattern": "x"}}, "required": ["a"]},
    "patternProperties": {"^n_": {"anyOf": [{"pattern": "^[0-9]+$"}, {"pattern": "^none$"}]}}})");
  CHECK_NOTHROW(
      check_config_against_schema(load_config(R"({"a": "abc", "n_1": "42", "n_2": "none"})"), nested, "lab/x"));
  CHECK_THAT(refusal(load_config(R"({"a": "axc"})"), nested), Catch::Contains("plugin lab/x: config"));
  CHECK_THAT(refusal(load_config(R"({"n_1": "4x"})"), nested), Catch::Contains("/n_1"));
}

TEST_CASE("a string too long to check against a large pattern refuses the config, never passes it unchecked",
          "[core][schema][pattern]")
{
  // (.{1,100}){10}c is ~9,000 RE2 instructions: 40,000 bytes are past k_max_pattern_work.
  const std::string pattern = "(.{1,100}){10}c";
  auto compiled = SchemaPattern::compile(pattern);
  REQUIRE(compiled);
  const std::string subject(40000, 'x');
  REQUIRE((subject.size() + 1) * compiled->program() > mdivicom::k_max_pattern_work);
  const std::string why = "the string (40000 bytes) is too long to check against pattern \"(.{1,100}){10}c\"";
  auto start = std::chrono::steady_clock::now();
  CHECK_THAT(refusal(config_with("name", subject), {{"properties", {{"name", {{"pattern", pattern}}}}}}),
             Catch::Contains("config /name: ") && Catch::Contains(why));
  // Behind not, a "no" would have passed the config.
  CHECK_THAT(refusal(config_with("name", subject), {{"properties", {{"name", {{"not", {{"pattern", pattern}}}}}}}}),
             Catch::Contains(why));
  CHECK(seconds_since(start) < 5.0);
  CHECK_NOTHROW(check_config_against_schema(config_with("name", std::string(1000, 'x') + "c"),
                                            {{"properties", {{"name", {{"pattern", pattern}}}}}}, "lab/x"));
}

TEST_CASE("the built-in manifest schema matches a long image name without recursing per character",
          "[core][schema][pattern]")
{
  // "^[^\\s]+$" on a 1 MB string: std::regex recursed once per character.
  nlohmann::json manifest = {{"meta",
                              {{"api_version", "mdivicomtools.plugin.v0.1"},
                               {"id", "big"},
                               {"kind", "container"},
                               {"version", "1.0.0"},
                               {"description", "d"}}},
                             {"entry", {{"image", std::string(1 << 20, 'i')}, {"argv", {"true"}}}}};
  CHECK(JsonSchema::builtin("plugin-manifest").validate(manifest).empty());
  manifest["entry"]["image"] = std::string(1 << 20, 'i') + " x";
  auto violations = JsonSchema::builtin("plugin-manifest").validate(manifest);
  REQUIRE(violations.size() == 1);
  CHECK(violations[0].pointer == "/entry/image");
  // propertyNames names the key it refuses (valijson failed it without a word).
  manifest["entry"]["image"] = "x:1";
  manifest["entry"]["env"] = {{"1bad", "v"}, {"GOOD", "v"}};
  violations = JsonSchema::builtin("plugin-manifest").validate(manifest);
  REQUIRE(violations.size() == 1);
  CHECK(violations[0].pointer == "/entry/env");
  CHECK(violations[0].message == "Property name \"1bad\" is not allowed by propertyNames.");
}

TEST_CASE("a config schema id too long for valijson's URN check is refused before valijson sees it", "[core][schema]")
{
  // valijson matched it against its URN regex with std::regex, once per character: SIGSEGV.
  nlohmann::json schema = {{"id", "base"}, {"properties", {{"name", {{"id", "urn:ab:" + std::string(200000, 'x')}}}}}};
  CHECK_THAT(refusal(load_config("{}"), schema),
             Catch::Contains("meta.config_schema cannot be checked: the id at #/properties/name is longer than 1024 "
                             "bytes, the most mdivicom accepts"));
  schema["properties"]["name"]["id"] = "urn:ab:" + std::string(1000, 'x');
  CHECK_NOTHROW(check_config_against_schema(load_config("{}"), schema, "lab/x"));
}

TEST_CASE("format date, time and date-time are checked as valijson checks them, strings only", "[core][schema][format]")
{
  using mdivicom::is_schema_date;
  using mdivicom::is_schema_date_time;
  using mdivicom::is_schema_time;
  CHECK(is_schema_date("2022-07-18"));
  CHECK(is_schema_date("2023-02-29")); // valijson allows the 29th in every year
  CHECK(is_schema_date("12345-12-31"));
  CHECK_FALSE(is_schema_date("2022-04-31"));
  CHECK_FALSE(is_schema_date("2022-13-01"));
  CHECK_FALSE(is_schema_date("2022-00-10"));
  CHECK_FALSE(is_schema_date("2022-7-18"));
  CHECK_FALSE(is_schema_date("-07-18"));
  CHECK_FALSE(is_schema_date("2022-07-18 "));
  CHECK(is_schema_time("16:52:45Z"));
  CHECK(is_schema_time("23:59:60.125+02:00"));
  CHECK(is_schema_time("00:00:00-23:59"));
  CHECK_FALSE(is_schema_time("24:00:00Z"));
  CHECK_FALSE(is_schema_time("16:52:45"));
  CHECK_FALSE(is_schema_time("16:52:45.Z"));
  CHECK_FALSE(is_schema_time("16:52:45+2:00"));
  CHECK_FALSE(is_schema_time("16:52:45|02:00")); // valijson's regex let '|' stand for the sign
  CHECK(is_schema_date_time("2022-07-18T16:52:45Z"));
  CHECK(is_schema_date_time("2022-07-18t16:52:45.5z"));
  CHECK_FALSE(is_schema_date_time("2022-07-18 16:52:45Z"));
  CHECK_FALSE(is_schema_date_time("2022-02-30T16:52:45Z"));
  CHECK_FALSE(is_schema_date_time("2022-07-18T"));
  // Draft 7: a format applies to strings only (valijson asked a number for its string and threw).
  auto schema = nlohmann::json::parse(R"({"properties": {"when": {"format": "date-time"}}})");
  CHECK_NOTHROW(check_config_against_schema(load_config(R"({"when": 5})"), schema, "lab/x"));
  CHECK_THAT(refusal(load_config(R"({"when": "soon"})"), schema), Catch::Contains("/when"));
}
