#include "core/json/bounded.hpp"

#include <catch2/catch.hpp>

#include <string>

using mdivicom::find_too_deep_json;
using mdivicom::k_max_json_depth;
using mdivicom::parse_json_bounded;

namespace {

std::string nested(int depth)
{
  return std::string(static_cast<size_t>(depth), '[') + std::string(static_cast<size_t>(depth), ']');
}

} // namespace

TEST_CASE("JSON nested up to the limit parses, one level more is refused with its byte offset", "[core][json_bounded]")
{
  CHECK(parse_json_bounded(nested(k_max_json_depth)).is_array());
  CHECK_THROWS_WITH(parse_json_bounded(nested(k_max_json_depth + 1)),
                    Catch::Contains("parse error at byte 513: nesting deeper than 512 levels"));
  CHECK(parse_json_bounded(nested(k_max_json_depth + 1), false).is_discarded());
}

TEST_CASE("a hundred thousand nested arrays are refused without recursing", "[core][json_bounded]")
{
  std::string text = "{\"meta\": {\"description\": " + nested(100000) + "}}";
  CHECK(find_too_deep_json(text) == text.find('[') + 510); // two levels of objects, then 511 arrays
  CHECK_THROWS_AS(parse_json_bounded(text), nlohmann::json::parse_error);
}

TEST_CASE("brackets inside strings, escaped quotes included, do not count as nesting", "[core][json_bounded]")
{
  std::string text = "[\"" + std::string(2000, '[') + "\\\"" + std::string(2000, '{') + "\"]";
  CHECK(find_too_deep_json(text) == std::string::npos);
  CHECK(parse_json_bounded(text).size() == 1);
  CHECK(find_too_deep_json("[[[", 2) == 2);
  CHECK(find_too_deep_json("[][][]", 1) == std::string::npos);
}

TEST_CASE("invalid JSON keeps nlohmann's own error", "[core][json_bounded]")
{
  CHECK_THROWS_WITH(parse_json_bounded("{\"a\": }"), Catch::Contains("syntax error"));
  CHECK(parse_json_bounded("{", false).is_discarded());
}
