#include "core/resultbundle/bundle.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

namespace rb = mdivicom::resultbundle;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;
using nlohmann::json;

namespace {

json good_sidecar()
{
  return {
      {"resultbundle_type", "mdivicom.timeline.subject"},
      {"schema_version", "0.1.0"},
      {"time_reference", {{"kind", "timestamp"}, {"unit", "ns"}}},
      {"files", json::array({{{"path", "t.csv"}, {"role", "timeline"}, {"format", "text/csv"}, {"required", true}}})},
  };
}

rb::CompatibilityDecision compat(const std::string& version, std::optional<int64_t> major,
                                 std::optional<int64_t> min_minor = std::nullopt)
{
  return rb::check_compatibility({{"resultbundle_type", "t"}, {"schema_version", version}}, "t", major, min_minor);
}

} // namespace

TEST_CASE("the four resultbundle policies carry the reference's modes and fallback rules", "[core][resultbundle]")
{
  const auto& policies = rb::all_policies();
  REQUIRE(policies.size() == 4);
  CHECK(policies[0].name == "legacy_off");
  CHECK(rb::policy_by_name("plugin_strict")->validation_mode == rb::ValidationMode::strict);
  CHECK_FALSE(rb::policy_by_name("plugin_strict")->allow_fallback);
  CHECK(rb::policy_by_name("pipeline_auto")->validation_mode == rb::ValidationMode::warn);
  CHECK(rb::policy_by_name("pipeline_auto")->require_fallback_reason);
  CHECK(rb::policy_by_name("local_default")->validation_mode == rb::ValidationMode::off);
  CHECK(rb::policy_by_name(" Legacy_Off ")->name == "legacy_off");
  CHECK(rb::policy_by_name("not-a-policy") == nullptr);
  CHECK(rb::policy_by_name("local_default")->to_json() ==
        json({{"name", "local_default"},
              {"validation_mode", "off"},
              {"allow_fallback", true},
              {"require_fallback_reason", false},
              {"description", "Legacy/local mode: keep CSV-first behavior, skip strict bundle checks."}}));
}

TEST_CASE("an explicit resultbundle validation mode wins over the policy, and the default is strict",
          "[core][resultbundle]")
{
  const auto* strict_policy = rb::policy_by_name("plugin_strict");
  CHECK(rb::select_validation_mode(rb::ValidationMode::warn, strict_policy) == rb::ValidationMode::warn);
  CHECK(rb::select_validation_mode(std::nullopt, strict_policy) == rb::ValidationMode::strict);
  CHECK(rb::select_validation_mode(std::nullopt, rb::policy_by_name("legacy_off")) == rb::ValidationMode::off);
  CHECK(rb::select_validation_mode(std::nullopt, nullptr) == rb::ValidationMode::strict);
  CHECK(rb::parse_validation_mode(" WARN ") == rb::ValidationMode::warn);
  CHECK_FALSE(rb::parse_validation_mode("lenient").has_value());
}

TEST_CASE("resultbundle validation mode off skips every envelope check and says so", "[core][resultbundle]")
{
  const auto report = rb::validate_envelope(json::object(), rb::ValidationMode::off, nullptr);
  CHECK(report.valid);
  CHECK(report.to_json() == json({{"mode", "off"},
                                  {"valid", true},
                                  {"errors", json::array()},
                                  {"warnings", json::array()},
                                  {"notes", {"Validation mode is off; envelope checks were skipped."}}}));
}

TEST_CASE("a resultbundle sidecar that is not an object fails the envelope check", "[core][resultbundle]")
{
  const auto report = rb::validate_envelope(json::array(), rb::ValidationMode::warn, nullptr);
  CHECK(report.errors == std::vector<std::string>{"Sidecar content must be an object."});
}

TEST_CASE("missing resultbundle top-level keys are reported in the reference's order", "[core][resultbundle]")
{
  const auto report = rb::validate_envelope(json::object(), rb::ValidationMode::strict, nullptr);
  CHECK(report.errors == std::vector<std::string>{"Missing required top-level key 'resultbundle_type'.",
                                                  "Missing required top-level key 'schema_version'.",
                                                  "Missing required top-level key 'time_reference'.",
                                                  "Missing required top-level key 'files'."});
}

TEST_CASE("a non-portable resultbundle base is warned twice and an error in strict mode, as in the reference",
          "[core][resultbundle]")
{
  TempDir dir;
  write_file(dir / "t.csv", "");
  json sidecar = good_sidecar();
  sidecar["source"] = {{"root", "."}, {"root_base", "Sidecar_Dir"}};
  write_file(dir / "resultbundle.json", sidecar.dump());
  const std::string warning =
      "source.root_base='sidecar_dir' is non-portable; prefer 'dataset_dir' or 'out_dir' for external handoff.";

  rb::ValidateOptions warn;
  warn.mode = rb::ValidationMode::warn;
  const auto lenient = rb::validate_resultbundle(dir / "resultbundle.json", {}, warn);
  CHECK(lenient.valid());
  CHECK(lenient.report.warnings == std::vector<std::string>{warning, warning});

  const auto strict = rb::validate_resultbundle(dir / "resultbundle.json", {}, {});
  CHECK_FALSE(strict.valid());
  CHECK(strict.report.errors ==
        std::vector<std::string>{
            "source.root_base='sidecar_dir' is not allowed in strict mode; use 'dataset_dir' or 'out_dir'."});
}

TEST_CASE("resultbundle validation reports the policy and compatibility objects beside the resolution",
          "[core][resultbundle]")
{
  TempDir dir;
  write_file(dir / "t.csv", "");
  write_file(dir / "resultbundle.json", good_sidecar().dump());
  rb::ValidateOptions options;
  options.policy = rb::policy_by_name("plugin_strict");
  options.supported_major = 0;
  const auto result = rb::validate_resultbundle(dir / "resultbundle.json", {}, options);
  REQUIRE(result.valid());
  const json document = result.to_json();
  CHECK(document["policy"]["name"] == "plugin_strict");
  CHECK(document["compatibility"] ==
        json({{"compatible", true},
              {"level", "compatible"},
              {"reason", "resultbundle_type and schema_version are compatible with current policy."},
              {"expected_type", "mdivicom.timeline.subject"},
              {"provided_type", "mdivicom.timeline.subject"},
              {"schema_version", "0.1.0"}}));
  CHECK(document["validation"]["notes"] ==
        json({"resultbundle_type and schema_version are compatible with current policy."}));
  CHECK(document["resolved"]["files"][0]["exists"] == true);
}

TEST_CASE("resultbundle schema versions follow MAJOR.MINOR[.PATCH] with an optional suffix", "[core][resultbundle]")
{
  CHECK(compat("1.2", 1).level == "compatible");
  CHECK(compat("1.2.3", 1).level == "compatible");
  CHECK(compat(" 1.2.3-rc.1+build 7 ", 1).level == "compatible");
  CHECK(compat("1.2\n", 1).level == "compatible");
  CHECK(compat("01.002", 1, 3).reason == "schema_version minor is older than preferred minimum: expected >= 3, got 2.");
  CHECK(compat("123456789012345678901234567890.0", 1).reason ==
        "schema_version major mismatch: supported 1, got 123456789012345678901234567890.");
  for (const char* bad : {"1", "v1.2", "1.2.", "1.2.3.4", "1.x", "1.2 beta", "1.2-x\ny", ""}) {
    INFO(bad);
    CHECK_FALSE(compat(bad, 1).compatible);
  }
  CHECK(compat("1.2.3.4", 1).reason ==
        "Invalid schema_version '1.2.3.4'. Expected SemVer-like version (for example 0.1.0).");
  CHECK(compat("", 1).reason == "Missing or invalid schema_version in sidecar.");
  CHECK(compat("2.0", std::nullopt, -1).level == "compatible");
}

TEST_CASE("resultbundle compatibility with a missing or foreign type is incompatible and names both",
          "[core][resultbundle]")
{
  auto missing = rb::check_compatibility({{"resultbundle_type", 5}, {"schema_version", 1.0}}, "t", 0, std::nullopt);
  CHECK(missing.to_json() == json({{"compatible", false},
                                   {"level", "incompatible"},
                                   {"reason", "Missing or invalid resultbundle_type in sidecar."},
                                   {"expected_type", "t"},
                                   {"provided_type", "5"},
                                   {"schema_version", "1.0"}}));
  auto other = rb::check_compatibility({{"resultbundle_type", "u"}}, "t", std::nullopt, std::nullopt);
  CHECK(other.reason == "resultbundle_type mismatch: expected 't', got 'u'.");
  CHECK(other.schema_version.is_null());
}

TEST_CASE("resultbundle incompatibility is an error in strict mode and a warning otherwise", "[core][resultbundle]")
{
  TempDir dir;
  write_file(dir / "t.csv", "");
  write_file(dir / "resultbundle.json", good_sidecar().dump());
  rb::ValidateOptions options;
  options.expect_type = "other.type";
  const auto strict = rb::validate_resultbundle(dir / "resultbundle.json", {}, options);
  CHECK_FALSE(strict.valid());
  CHECK(strict.report.errors.back() ==
        "resultbundle_type mismatch: expected 'other.type', got 'mdivicom.timeline.subject'.");
  options.mode = rb::ValidationMode::off;
  const auto off = rb::validate_resultbundle(dir / "resultbundle.json", {}, options);
  CHECK(off.valid());
  CHECK(off.report.warnings.back() == strict.report.errors.back());
  CHECK(off.compatibility->level == "incompatible");
}
