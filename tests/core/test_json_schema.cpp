#include <catch2/catch.hpp>

#include "core/json/schema.hpp"

using mdivicom::JsonSchema;
using mdivicom::SchemaKeyword;
using nlohmann::json;

namespace {

// The one violation of `document` against `schema`.
mdivicom::SchemaViolation violation_of(const json& schema, const json& document)
{
  auto violations = JsonSchema(schema).validate(document);
  INFO(schema.dump() << " / " << document.dump());
  REQUIRE(violations.size() == 1);
  return violations.front();
}

} // namespace

// valijson 1.0 names the broken keyword only in its English message (json/schema.cpp says
// why); this fails for each keyword whose wording a valijson update changes, before a user
// sees valijson's raw text where mdivicom's own message used to be.
TEST_CASE("each schema keyword mdivicom words itself is recognized in valijson's report", "[core][schema]")
{
  struct Case
  {
    json schema;
    json document;
    SchemaKeyword keyword;
    std::string argument;
  };
  const std::vector<Case> cases = {
      {{{"required", {"name"}}}, json::object(), SchemaKeyword::required, "name"},
      {{{"additionalProperties", false}}, {{"extra", 1}}, SchemaKeyword::additional_properties, "extra"},
      {{{"maximum", 5}}, 7, SchemaKeyword::maximum, "5.000000"},
      {{{"exclusiveMaximum", 5}}, 5, SchemaKeyword::exclusive_maximum, "5.000000"},
      {{{"minimum", 2.5}}, 1, SchemaKeyword::minimum, "2.500000"},
      {{{"exclusiveMinimum", 2}}, 2, SchemaKeyword::exclusive_minimum, "2.000000"},
      {{{"type", "string"}}, 1, SchemaKeyword::type, ""},
      {{{"enum", {"a", "b"}}}, "c", SchemaKeyword::enum_values, ""},
      {{{"const", 3}}, 4, SchemaKeyword::const_value, ""},
      {{{"maxLength", 2}}, "abc", SchemaKeyword::max_length, "2"},
      {{{"minLength", 4}}, "abc", SchemaKeyword::min_length, "4"},
      {{{"pattern", "^[a-z]+$"}}, "A", SchemaKeyword::pattern, ""},
      {{{"maxItems", 1}}, {1, 2}, SchemaKeyword::max_items, "1"},
      {{{"minItems", 3}}, {1, 2}, SchemaKeyword::min_items, "3"},
      {{{"maxProperties", 1}}, {{"a", 1}, {"b", 2}}, SchemaKeyword::max_properties, "1"},
      {{{"minProperties", 3}}, {{"a", 1}}, SchemaKeyword::min_properties, "3"},
      {{{"multipleOf", 3}}, 4, SchemaKeyword::multiple_of, "3"},
      {{{"multipleOf", 0.5}}, 0.7, SchemaKeyword::multiple_of, "0.500000"},
      {{{"not", {{"type", "integer"}}}}, 1, SchemaKeyword::other, ""},
  };
  for (const auto& c : cases) {
    const auto violation = violation_of(c.schema, c.document);
    INFO(violation.message);
    CHECK(violation.keyword == c.keyword);
    CHECK(violation.argument == c.argument);
  }
}

TEST_CASE("a schema violation names the offending value's pointer and shows a scalar value", "[core][schema]")
{
  const json schema = {{"properties", {{"x/y", {{"properties", {{"n", {{"maximum", 1}}}}}}}}}};
  const auto violation = violation_of(schema, {{"x/y", {{"n", 2}}}});
  CHECK(violation.pointer == "/x~1y/n");
  CHECK(violation.message == "Expected number less than or equal to 1.000000 (got 2)");
}
