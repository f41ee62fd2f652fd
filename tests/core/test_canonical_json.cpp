#include "core/json/canonical.hpp"

#include "python_canonical.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <limits>

using mdivicom::canonical_json;
using mdivicom::parse_json_canonical;
using mdivicom::python_float_repr;

namespace {

std::string canon(std::string_view text)
{
  auto result = canonical_json(text);
  INFO(text);
  REQUIRE(result.ok());
  return *result;
}

std::string error_of(std::string_view text)
{
  auto result = canonical_json(text);
  INFO(text);
  REQUIRE_FALSE(result.ok());
  return result.error();
}

// Compares our answer with Python's for each text; a mismatch shows the text and both answers.
void expect_same_as_python(const std::vector<std::string>& texts, const std::vector<std::optional<std::string>>& python)
{
  int mismatches = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto ours = canonical_json(texts[i]);
    bool same = python[i] ? (ours.ok() && *ours == *python[i]) : !ours.ok();
    if (!same && ++mismatches <= 10) {
      UNSCOPED_INFO("text (hex): " << mdivicom::test::to_hex(texts[i]) << "\ntext: " << texts[i]
                                   << "\npython: " << python[i].value_or("(refused)")
                                   << "\nours:   " << (ours.ok() ? *ours : "(refused) " + ours.error()));
    }
  }
  CHECK(mismatches == 0);
}

} // namespace

TEST_CASE("canonical_json matches Python's json.dumps on a hand-written corpus", "[core][canonical]")
{
  std::vector<std::string> corpus = {
      R"({})",
      R"([])",
      R"("")",
      R"(0)",
      R"(-0)",
      R"(true)",
      R"(null)",
      " \t\r\n{ } \n",
      R"({"b": 1, "a": 2, "c": {"z": [], "y": {}}})",
      R"({"a": 1, "a": 2, "b": {"x": 1, "x": {"deep": true}}})",
      R"({"é": 1, "e": 2, "z": 3, "É": 4, "😀": 5, "ア": 6, "\u0000": 7, "": 8})",
      R"({"text": "naïve café, 日本語, emoji 😀👍🏽, flag 🇩🇪, combining e\u0301 and a\u0308"})",
      R"({"esc": "quote \" backslash \\ slash \/ \b \f \n \r \t"})",
      R"({"ctrl": "\u0000\u0001\u001f\u007f\u0080\u009f\u00a0\u2028\u2029\ufeff\uffff"})",
      R"({"pair": "\ud83d\ude00", "upper": "\uD83D\uDE00", "mixed": "\u00E9\u00e9"})",
      R"([0.1, 1e-7, 1e16, 1e22, 5e-324, 1.7976931348623157e308, -0.0, 100.0, 1E5, 1e-5])",
      R"([12345678901234567890123, -12345678901234567890123, 18446744073709551616, -9223372036854775809])",
      R"([1e15, 1e-4, 0.0001, 0.00001, 123.0, 1.5e300, 1.5e+300, 1.5E-300, 2.5e-324, 1e-400, -1e-400])",
      R"([1e400, -1e400, 1.7976931348623159e308, NaN, Infinity, -Infinity, 0e0, -0E-0, 1.0e+0])",
      R"([0.30000000000000004, 9007199254740993, 9007199254740993.0, 123456789012345678901234567890.5])",
      R"([[[[[[[[[[{"deep": [[[[[[[[[[1]]]]]]]]]]}]]]]]]]]]])",
      R"({"cloud": {"api_key": "sk-123", "region": "eu"}, "threshold": 0.5, "tags": ["a", "b"]})",
      "{\"raw\": \"\x7f\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80\"}",
      // A lone surrogate only fails when it reaches the output; a later duplicate key drops it.
      R"({"a": "\ud800", "a": 1})",
      R"({"a": {"x": ["\udc00"]}, "a": 2, "b": "\ud83d\ude00"})",
      // Refused by Python, so refused by us:
      "",
      " ",
      "{",
      "}",
      "[1,]",
      R"({"a":1,})",
      "{'a': 1}",
      "01",
      "1.",
      ".5",
      "+1",
      "-",
      "1e",
      "[1 2]",
      R"({"a" 1})",
      R"("\x")",
      R"("\u12")",
      R"("\uZZZZ")",
      "\"a\nb\"",
      "\"tab\there\"",
      R"("unterminated)",
      "nan",
      "-NaN",
      "infinity",
      "True",
      "None",
      "[1]]",
      "{}x",
      "\"\\ud800\"",
      "\"\\udc00\\ud800\"",
      "\"\\ud800\\u0041\"",
      R"({"\ud800": 1, "\ud800": 2})",
      "\xef\xbb\xbf{}",
      "\x0c1",
      "1 /* comment */",
  };
  auto python = mdivicom::test::python_canonical(corpus);
  std::vector<std::optional<std::string>> expected;
  for (const auto& answer : python) {
    expected.push_back(answer.canonical);
  }
  expect_same_as_python(corpus, expected);
}

TEST_CASE("canonical_json matches Python on 2000 generated JSON texts", "[core][canonical]")
{
  // MDIVICOM_CANONICAL_SEED runs another seed (say, in a loop) without editing the test.
  const char* seed_text = std::getenv("MDIVICOM_CANONICAL_SEED");
  unsigned long seed = seed_text ? std::stoul(seed_text) : 20261125UL;
  INFO("seed " << seed);
  auto cases = mdivicom::test::python_generated_cases(seed, 2000);
  REQUIRE(cases.size() == 2000);
  std::vector<std::string> texts;
  std::vector<std::optional<std::string>> expected;
  size_t refused = 0;
  for (auto& c : cases) {
    texts.push_back(std::move(c.text));
    expected.push_back(std::move(c.canonical));
    refused += expected.back() ? 0 : 1;
  }
  // The generator must exercise both outcomes, or the comparison proves little.
  CHECK(refused > 50);
  CHECK(refused < 1000);
  expect_same_as_python(texts, expected);
}

TEST_CASE("canonical JSON writes floats in Python's repr form", "[core][canonical]")
{
  CHECK(python_float_repr(1.0) == "1.0");
  CHECK(python_float_repr(100.0) == "100.0");
  CHECK(python_float_repr(0.1) == "0.1");
  CHECK(python_float_repr(1e-5) == "1e-05");
  CHECK(python_float_repr(0.0001) == "0.0001");
  CHECK(python_float_repr(1e16) == "1e+16");
  CHECK(python_float_repr(1e15) == "1000000000000000.0");
  CHECK(python_float_repr(1234567890123456.0) == "1234567890123456.0");
  CHECK(python_float_repr(1.5e300) == "1.5e+300");
  CHECK(python_float_repr(-0.0) == "-0.0");
  CHECK(python_float_repr(5e-324) == "5e-324");
  CHECK(python_float_repr(std::numeric_limits<double>::max()) == "1.7976931348623157e+308");
  CHECK(python_float_repr(std::numeric_limits<double>::infinity()) == "Infinity");
  CHECK(python_float_repr(-std::numeric_limits<double>::infinity()) == "-Infinity");
  CHECK(python_float_repr(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(canon("[1E5, 1e-7, 1e22, 2.5e-324, 1e400, -1e-400]") == "[100000.0,1e-07,1e+22,5e-324,Infinity,-0.0]");
}

TEST_CASE("canonical JSON keeps integers of any size digit for digit and writes -0 as 0", "[core][canonical]")
{
  CHECK(canon("[-0, 0, 12345678901234567890123, -98765432109876543210]") ==
        "[0,0,12345678901234567890123,-98765432109876543210]");
  std::string digits_4300(4300, '7');
  CHECK(canon(digits_4300) == digits_4300);
}

TEST_CASE("canonical JSON refuses integers of more than 4300 digits as Python 3.11 does", "[core][canonical]")
{
  CHECK_THAT(error_of("[-" + std::string(4301, '1') + "]"),
             Catch::Contains("line 1 column 2") && Catch::Contains("4301 digits") && Catch::Contains("4300"));
}

TEST_CASE("canonical JSON accepts NaN and Infinity and writes them back as Python does", "[core][canonical]")
{
  CHECK(canon(R"({"b": Infinity, "a": NaN, "c": -Infinity})") == R"({"a":NaN,"b":Infinity,"c":-Infinity})");
  auto parsed = parse_json_canonical("[NaN, -Infinity]");
  REQUIRE(parsed.ok());
  CHECK(std::isnan(parsed->value[0].get<double>()));
  CHECK(parsed->value[1].get<double>() == -std::numeric_limits<double>::infinity());
}

TEST_CASE("canonical JSON escapes strings as Python does and keeps non-ASCII as raw UTF-8", "[core][canonical]")
{
  CHECK(canon(R"(["\u0001\u001F\b\f\n\r\t\"\\\/", "\u007f\u00e9\ud83d\ude00"])") ==
        "[\"\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\/\",\"\x7f\xc3\xa9\xf0\x9f\x98\x80\"]");
}

TEST_CASE("canonical JSON syntax errors name the line and column", "[core][canonical]")
{
  CHECK_THAT(error_of("{\n  \"a\": 1,\n  \"b\" 2\n}"), Catch::StartsWith("line 3 column 7: expected ':'"));
  CHECK_THAT(error_of("{\"é\": [1,]}"), Catch::StartsWith("line 1 column 10: expected a value"));
  CHECK_THAT(error_of("{} {}"), Catch::StartsWith("line 1 column 4: extra data"));
  CHECK_THAT(error_of("\"abc"), Catch::StartsWith("line 1 column 1: unterminated string"));
  CHECK_THAT(error_of("[\"a\tb\"]"), Catch::Contains("invalid control character U+0009"));
  CHECK_THAT(error_of(R"(["\q"])"), Catch::StartsWith("line 1 column 3: invalid escape"));
  CHECK_THAT(error_of(R"(["\u12G4"])"), Catch::StartsWith("line 1 column 3: invalid \\uXXXX escape"));
  CHECK_THAT(error_of("\xef\xbb\xbf{}"), Catch::Contains("byte order mark"));
}

// One scanner serves canonical JSON and sidecars (json/python_scanner.hpp): where the config
// reader used to stop elsewhere than Python, it now stops where Python does.
TEST_CASE("canonical JSON reports an unfinished string where Python does", "[core][canonical]")
{
  CHECK_THAT(error_of("\"abc\\"), Catch::StartsWith("line 1 column 1: unterminated string"));
  CHECK_THAT(error_of(R"("a\u1234)"), Catch::StartsWith("line 1 column 3: invalid \\uXXXX escape"));
  CHECK_THAT(error_of(R"("\ud800\u12)"), Catch::StartsWith("line 1 column 8: invalid \\uXXXX escape"));
}

TEST_CASE("canonical JSON refuses a lone surrogate that Python could not encode", "[core][canonical]")
{
  CHECK_THAT(error_of(R"({"k": "ok \ud800 not"})"),
             Catch::StartsWith("line 1 column 11: lone surrogate escape \\ud800") && Catch::Contains("UTF-8"));
  CHECK_THAT(error_of(R"(["\uDC00"])"), Catch::Contains("lone surrogate"));
  CHECK_THAT(error_of(R"(["\ud83d\u0041"])"), Catch::Contains("lone surrogate"));
}

TEST_CASE("canonical JSON refuses invalid UTF-8 with its position", "[core][canonical]")
{
  for (std::string bad :
       {"\xc0\x80", "\xed\xa0\x80", "\xf5\x80\x80\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\xff", "\x80"}) {
    INFO(mdivicom::test::to_hex(bad));
    CHECK_THAT(error_of("{\n \"k\": \"" + bad + "\"}"),
               Catch::Contains("line 2 column 8") && Catch::Contains("invalid UTF-8"));
  }
}

TEST_CASE("canonical JSON bounds nesting so that hostile input cannot exhaust the stack", "[core][canonical]")
{
  int limit = mdivicom::k_max_json_depth;
  std::string ok = std::string(static_cast<size_t>(limit), '[') + std::string(static_cast<size_t>(limit), ']');
  CHECK(canon(ok) == ok);
  std::string deeper = "[" + ok + "]";
  CHECK_THAT(error_of(deeper), Catch::Contains("nesting deeper than 512 levels"));
  std::string hostile(1'000'000, '[');
  CHECK_THAT(error_of(hostile), Catch::Contains("nesting deeper"));
  std::string objects;
  for (int i = 0; i < 100'000; ++i) {
    objects += "{\"a\":";
  }
  CHECK_THAT(error_of(objects), Catch::Contains("nesting deeper"));
}

TEST_CASE("parse_json_canonical returns the value along with the canonical text", "[core][canonical]")
{
  auto parsed = parse_json_canonical(
      R"({"b": [1, 2.5, "x"], "a": 12345678901234567890123, "n": -7, "u": 18446744073709551615, "b": null})");
  REQUIRE(parsed.ok());
  CHECK(parsed->canonical == R"({"a":12345678901234567890123,"b":null,"n":-7,"u":18446744073709551615})");
  CHECK(parsed->value["b"].is_null());
  CHECK(parsed->value["n"].get<int64_t>() == -7);
  CHECK(parsed->value["u"].get<uint64_t>() == 18446744073709551615ULL);
  CHECK(parsed->value["a"].is_number_float()); // too big for 64 bits: nlohmann holds a double
  CHECK(parsed->value["a"].get<double>() == Approx(1.2345678901234568e22));
}
