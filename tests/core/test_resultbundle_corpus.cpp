// Runs every case of tests/data/resultbundles/cases.json through the core API.
#include "core/resultbundle/bundle.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <iterator>
#include <random>

namespace rb = mdivicom::resultbundle;
using nlohmann::json;

namespace {

const std::filesystem::path k_corpus = std::filesystem::path(MDIVICOM_TEST_DATA) / "resultbundles";

bool any_contains(const std::vector<std::string>& messages, const std::string& needle)
{
  return std::any_of(messages.begin(), messages.end(),
                     [&](const std::string& message) { return message.find(needle) != std::string::npos; });
}

rb::ValidateOptions options_of(const json& test_case)
{
  rb::ValidateOptions options;
  if (test_case.contains("mode")) {
    options.mode = rb::parse_validation_mode(test_case["mode"].get<std::string>());
  }
  if (test_case.contains("policy")) {
    options.policy = rb::policy_by_name(test_case["policy"].get<std::string>());
    REQUIRE(options.policy != nullptr);
  }
  if (test_case.contains("expect_type")) {
    options.expect_type = test_case["expect_type"].get<std::string>();
  }
  if (test_case.contains("supported_major")) {
    options.supported_major = test_case["supported_major"].get<int64_t>();
  }
  if (test_case.contains("min_minor")) {
    options.min_minor = test_case["min_minor"].get<int64_t>();
  }
  return options;
}

rb::ResolveDirs dirs_of(const json& test_case)
{
  rb::ResolveDirs dirs;
  if (test_case.contains("dataset_dir")) {
    dirs.dataset_dir = k_corpus / test_case["dataset_dir"].get<std::string>();
  }
  if (test_case.contains("out_dir")) {
    dirs.out_dir = k_corpus / test_case["out_dir"].get<std::string>();
  }
  return dirs;
}

} // namespace

TEST_CASE("every resultbundle sidecar in the corpus validates to its stated outcome", "[core][resultbundle]")
{
  const json cases = json::parse(mdivicom::test::read_file(k_corpus / "cases.json"))["cases"];
  REQUIRE(cases.size() > 50);
  for (const auto& test_case : cases) {
    INFO("case: " << test_case.dump());
    const auto result = rb::validate_resultbundle(k_corpus / test_case["sidecar"].get<std::string>(),
                                                  dirs_of(test_case), options_of(test_case));
    CAPTURE(result.to_json().dump(2));
    CHECK(result.valid() == test_case["valid"].get<bool>());
    CHECK(result.resolved.has_value() == test_case["resolved"].get<bool>());
    if (test_case.contains("error")) {
      CHECK(any_contains(result.report.errors, test_case["error"].get<std::string>()));
    }
    if (test_case.contains("warning")) {
      CHECK(any_contains(result.report.warnings, test_case["warning"].get<std::string>()));
    }
    if (test_case.contains("note")) {
      CHECK(any_contains(result.report.notes, test_case["note"].get<std::string>()));
    }
    if (test_case["valid"].get<bool>() && !test_case.contains("mode") && !test_case.contains("policy")) {
      CHECK(result.report.errors.empty());
    }
    // Whatever the input, the document serializes (no invalid UTF-8, no exceptions).
    CHECK_NOTHROW(result.to_json().dump(2, ' ', false, json::error_handler_t::strict));
  }
}

namespace {

// A value of a random JSON type, including the awkward ones: blank, NUL, "..", huge numbers.
json random_value(std::mt19937& random)
{
  static const json k_values[] = {
      nullptr,
      true,
      false,
      0,
      -1,
      1.5,
      1e300,
      18446744073709551615ull,
      "",
      " ",
      "..",
      "../../x",
      "/etc/passwd",
      std::string("a\0b", 3),
      "\xe2\x80\xae",
      "out_dir",
      "ABSOLUTE",
      "input_data_dir",
      "sidecar_dir",
      "1.2.3-x",
      json::array(),
      json::object(),
      json::array({1, "x", nullptr}),
      json({{"root", "."}, {"root_base", 3}}),
  };
  return k_values[random() % std::size(k_values)];
}

// Replaces one value somewhere in the document (or removes a key) at random.
void mutate(json& node, std::mt19937& random)
{
  if ((node.is_object() || node.is_array()) && !node.empty() && random() % 4 != 0) {
    auto it = node.begin();
    std::advance(it, static_cast<long>(random() % node.size()));
    if (node.is_object() && random() % 5 == 0) {
      node.erase(it.key());
      return;
    }
    mutate(*it, random);
    return;
  }
  node = random_value(random);
}

} // namespace

TEST_CASE("randomly mistyped resultbundle sidecars never throw and always serialize", "[core][resultbundle]")
{
  mdivicom::test::TempDir dir;
  const json base = json::parse(mdivicom::test::read_file(k_corpus / "good/attached/resultbundle.json"));
  json detached = base;
  detached["source"] = {{"root", "."}, {"root_base", "out_dir"}};
  std::mt19937 random(20250115);
  rb::ResolveDirs dirs;
  dirs.out_dir = dir.path();
  for (int i = 0; i < 2000; ++i) {
    json sidecar = i % 2 == 0 ? base : detached;
    for (unsigned edits = 1 + random() % 3; edits > 0; --edits) {
      mutate(sidecar, random);
    }
    mdivicom::test::write_file(dir / "resultbundle.json", sidecar.dump());
    INFO(sidecar.dump());
    rb::ValidateOptions options;
    options.mode = static_cast<rb::ValidationMode>(random() % 3);
    options.supported_major = 0;
    options.min_minor = 1;
    REQUIRE_NOTHROW(rb::validate_resultbundle(dir / "resultbundle.json", dirs, options).to_json().dump());
    REQUIRE_NOTHROW(rb::inspect_resultbundle(dir / "resultbundle.json", dirs));
  }
}
