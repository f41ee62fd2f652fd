// `mdivicom resultbundles ...` run as a real process: exit codes, messages, exact output.
#include "core/hash/sha256.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>

namespace fs = std::filesystem;
using mdivicom::test::CommandOptions;
using mdivicom::test::read_file;
using mdivicom::test::run_mdivicom;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;
using nlohmann::json;

namespace {

const fs::path k_corpus = fs::canonical(fs::path(MDIVICOM_TEST_DATA) / "resultbundles");
const std::string k_attached = (k_corpus / "good/attached/resultbundle.json").string();

json attached_resolved()
{
  const std::string root = (k_corpus / "good/attached").string();
  const auto file = [&](const char* path, const char* role, bool required, bool exists) {
    return json({{"declared_path", path},
                 {"resolved_path", root + "/" + path},
                 {"role", role},
                 {"format", "text/tab-separated-values"},
                 {"required", required},
                 {"exists", exists}});
  };
  return {
      {"sidecar_path", k_attached},
      {"payload_root", root},
      {"detached", false},
      {"resultbundle_type", "mdivicom.gaze.fixations"},
      {"schema_version", "0.1.0"},
      {"source", nullptr},
      {"files",
       {file("gaze/fixations.tsv", "fixations", true, true), file("events.tsv", "events", false, true),
        file("gaze/saccades.tsv", "saccades", false, false)}},
      {"issues", json::array()},
      {"warnings", json::array()},
  };
}

} // namespace

TEST_CASE("resultbundles policies --json prints the four profiles exactly as the reference", "[cli][resultbundle]")
{
  const auto result = run_mdivicom({"resultbundles", "policies", "--json"});
  REQUIRE(result.exit_code == 0);
  CHECK(result.out == R"({
  "policies": {
    "legacy_off": {
      "allow_fallback": true,
      "description": "Compatibility mode for legacy paths where bundle validation is intentionally disabled.",
      "name": "legacy_off",
      "require_fallback_reason": false,
      "validation_mode": "off"
    },
    "local_default": {
      "allow_fallback": true,
      "description": "Legacy/local mode: keep CSV-first behavior, skip strict bundle checks.",
      "name": "local_default",
      "require_fallback_reason": false,
      "validation_mode": "off"
    },
    "pipeline_auto": {
      "allow_fallback": true,
      "description": "Auto mode: warn-level validation; callers may fallback but must persist a reason.",
      "name": "pipeline_auto",
      "require_fallback_reason": true,
      "validation_mode": "warn"
    },
    "plugin_strict": {
      "allow_fallback": false,
      "description": "Plugin/pipeline external handoff mode: validate strictly and fail fast.",
      "name": "plugin_strict",
      "require_fallback_reason": false,
      "validation_mode": "strict"
    }
  }
}
)");
}

TEST_CASE("resultbundles policies prints one tab-separated line and a description per policy", "[cli][resultbundle]")
{
  const auto result = run_mdivicom({"resultbundles", "policies"});
  REQUIRE(result.exit_code == 0);
  CHECK(result.out == "legacy_off\tmode=off\tfallback=True\tfallback_reason=False\n"
                      "  Compatibility mode for legacy paths where bundle validation is intentionally disabled.\n"
                      "local_default\tmode=off\tfallback=True\tfallback_reason=False\n"
                      "  Legacy/local mode: keep CSV-first behavior, skip strict bundle checks.\n"
                      "pipeline_auto\tmode=warn\tfallback=True\tfallback_reason=True\n"
                      "  Auto mode: warn-level validation; callers may fallback but must persist a reason.\n"
                      "plugin_strict\tmode=strict\tfallback=False\tfallback_reason=False\n"
                      "  Plugin/pipeline external handoff mode: validate strictly and fail fast.\n");
}

TEST_CASE("resultbundles inspect --json prints the resolved sidecar with absolute paths", "[cli][resultbundle]")
{
  const auto result = run_mdivicom({"resultbundles", "inspect", "--sidecar", k_attached, "--json"});
  REQUIRE(result.exit_code == 0);
  CHECK(result.out == attached_resolved().dump(2) + "\n");
}

TEST_CASE("resultbundles inspect resolves a relative sidecar path against the working directory", "[cli][resultbundle]")
{
  CommandOptions options;
  options.cwd = k_corpus / "good";
  const auto result = run_mdivicom({"resultbundles", "inspect", "--sidecar", "attached/resultbundle.json"}, options);
  REQUIRE(result.exit_code == 0);
  const std::string root = (k_corpus / "good/attached").string();
  CHECK(result.out == "sidecar: " + k_attached + "\npayload_root: " + root +
                          "\ndetached: False\ntype: mdivicom.gaze.fixations\nschema_version: 0.1.0\n"
                          "file: gaze/fixations.tsv (required, ok) -> " +
                          root +
                          "/gaze/fixations.tsv\n"
                          "file: events.tsv (optional, ok) -> " +
                          root +
                          "/events.tsv\n"
                          "file: gaze/saccades.tsv (optional, missing) -> " +
                          root + "/gaze/saccades.tsv\n");
}

TEST_CASE("resultbundles inspect is never strict and lists issues instead of failing", "[cli][resultbundle]")
{
  const auto result =
      run_mdivicom({"resultbundles", "inspect", "--sidecar", (k_corpus / "hostile/path_escape.json").string()});
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("type: mdivicom.test\n") &&
                             Catch::EndsWith("issue: files[0].path escapes payload root: ../../../../etc/passwd\n"));
}

TEST_CASE("resultbundles inspect of a sidecar that cannot be read fails with the reason", "[cli][resultbundle]")
{
  const auto result =
      run_mdivicom({"resultbundles", "inspect", "--sidecar", (k_corpus / "hostile/not_json.json").string()});
  CHECK(result.exit_code == 1);
  CHECK(result.out.empty());
  CHECK(result.err == "mdivicom: error: Could not parse sidecar JSON: Expecting value: line 1 column 1 (char 0)\n");
}

TEST_CASE("resultbundles validate --json prints resolution, report, policy and compatibility", "[cli][resultbundle]")
{
  const auto result = run_mdivicom({"resultbundles", "validate", "--sidecar", k_attached, "--policy", "plugin_strict",
                                    "--expect-type", "mdivicom.gaze.fixations", "--supported-major", "0", "--json"});
  REQUIRE(result.exit_code == 0);
  const std::string reason = "resultbundle_type and schema_version are compatible with current policy.";
  const json expected = {
      {"resolved", attached_resolved()},
      {"validation",
       {{"mode", "strict"},
        {"valid", true},
        {"errors", json::array()},
        {"warnings", json::array()},
        {"notes", {reason}}}},
      {"policy",
       {{"name", "plugin_strict"},
        {"validation_mode", "strict"},
        {"allow_fallback", false},
        {"require_fallback_reason", false},
        {"description", "Plugin/pipeline external handoff mode: validate strictly and fail fast."}}},
      {"compatibility",
       {{"compatible", true},
        {"level", "compatible"},
        {"reason", reason},
        {"expected_type", "mdivicom.gaze.fixations"},
        {"provided_type", "mdivicom.gaze.fixations"},
        {"schema_version", "0.1.0"}}},
  };
  CHECK(result.out == expected.dump(2) + "\n");
}

TEST_CASE("resultbundles validate prints a readable verdict and exits 1 when invalid", "[cli][resultbundle]")
{
  const auto good = run_mdivicom(
      {"resultbundles", "validate", "--sidecar", k_attached, "--policy", "pipeline_auto", "--min-minor", "2"});
  CHECK(good.exit_code == 0);
  CHECK(good.out == "validation: valid (mode=warn)\npolicy: pipeline_auto (fallback_allowed=True)\n"
                    "warning: schema_version minor is older than preferred minimum: expected >= 2, got 1.\n"
                    "compatibility: compatible (warn) - schema_version minor is older than preferred minimum: "
                    "expected >= 2, got 1.\n");

  const std::string missing = (k_corpus / "hostile/required_missing.json").string();
  const auto bad = run_mdivicom({"resultbundles", "validate", "--sidecar", missing});
  CHECK(bad.exit_code == 1);
  CHECK(bad.out == "validation: invalid (mode=strict)\nerror: Required file is missing: absent.tsv (resolved: " +
                       (k_corpus / "hostile/absent.tsv").string() + ")\n");
  CHECK(bad.err.empty());
}

TEST_CASE("resultbundles validate of an unresolvable sidecar prints only the validation object", "[cli][resultbundle]")
{
  const std::string escape = (k_corpus / "hostile/path_escape.json").string();
  const auto result =
      run_mdivicom({"resultbundles", "validate", "--sidecar", escape, "--policy", "plugin_strict", "--json"});
  CHECK(result.exit_code == 1);
  CHECK(result.out == R"({
  "validation": {
    "errors": [
      "files[0].path escapes payload root: ../../../../etc/passwd"
    ],
    "mode": "strict",
    "notes": [],
    "valid": false,
    "warnings": []
  }
}
)");
  const auto human = run_mdivicom({"resultbundles", "validate", "--sidecar", escape});
  CHECK(human.exit_code == 1);
  CHECK(human.out ==
        "validation: invalid (mode=strict)\nerror: files[0].path escapes payload root: ../../../../etc/passwd\n");
}

TEST_CASE("an empty resultbundles directory argument counts as not given, as in the reference", "[cli][resultbundle]")
{
  const auto result = run_mdivicom({"resultbundles", "validate", "--sidecar",
                                    (k_corpus / "hostile/detached_out_dir.json").string(), "--out-dir", "", "--json"});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out, Catch::Contains("requires the matching directory argument to be provided."));
}

TEST_CASE("bad resultbundles command lines exit 2", "[cli][resultbundle]")
{
  const std::vector<std::vector<std::string>> command_lines = {
      {"resultbundles"},
      {"resultbundles", "validate"},
      {"resultbundles", "inspect", "--json"},
      {"resultbundles", "validate", "--sidecar", k_attached, "--mode", "lenient"},
      {"resultbundles", "validate", "--sidecar", k_attached, "--policy", "nope"},
      {"resultbundles", "validate", "--sidecar", k_attached, "--policy", "PLUGIN_STRICT"},
      {"resultbundles", "validate", "--sidecar", k_attached, "--supported-major", "one"},
      {"resultbundles", "validate", "--sidecar", k_attached, "--min-minor"},
      {"resultbundles", "policies", "--sidecar", k_attached},
      {"resultbundles", "frobnicate"},
  };
  for (const auto& args : command_lines) {
    const auto result = run_mdivicom(args);
    INFO(json(args).dump() << "\n" << result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
  }
}

TEST_CASE("every corpus resultbundle sidecar gets the stated verdict and exit code from the binary",
          "[cli][resultbundle]")
{
  const json cases = json::parse(read_file(k_corpus / "cases.json"))["cases"];
  for (const auto& test_case : cases) {
    std::vector<std::string> args = {"resultbundles", "validate", "--json", "--sidecar",
                                     (k_corpus / test_case["sidecar"].get<std::string>()).string()};
    for (const char* dir : {"dataset_dir", "out_dir"}) {
      if (test_case.contains(dir)) {
        args.push_back(std::string("--") + (std::string(dir) == "out_dir" ? "out-dir" : "dataset-dir"));
        args.push_back((k_corpus / test_case[dir].get<std::string>()).string());
      }
    }
    for (const char* option : {"mode", "policy", "expect_type", "supported_major", "min_minor"}) {
      if (test_case.contains(option)) {
        std::string flag = std::string("--") + option;
        std::replace(flag.begin(), flag.end(), '_', '-');
        args.push_back(flag);
        const json& value = test_case[option];
        args.push_back(value.is_string() ? value.get<std::string>() : value.dump());
      }
    }
    const auto result = run_mdivicom(args);
    INFO(json(args).dump() << "\n" << result.out << result.err);
    const bool valid = test_case["valid"].get<bool>();
    CHECK(result.exit_code == (valid ? 0 : 1));
    const json document = json::parse(result.out);
    CHECK(document["validation"]["valid"] == valid);
    CHECK(document.contains("resolved") == test_case["resolved"].get<bool>());
    if (test_case.contains("error")) {
      CHECK_THAT(document["validation"]["errors"].dump(),
                 Catch::Contains(json(test_case["error"]).dump().substr(1, 20)));
    }
  }
}

TEST_CASE("a symlinked resultbundle sidecar is reported at its real location", "[cli][resultbundle]")
{
  TempDir dir;
  fs::create_symlink(k_attached, dir / "link.json");
  const auto result = run_mdivicom({"resultbundles", "inspect", "--sidecar", (dir / "link.json").string(), "--json"});
  REQUIRE(result.exit_code == 0);
  CHECK(json::parse(result.out)["sidecar_path"] == k_attached);
}

TEST_CASE("the example resultbundle in examples/results validates strictly and its hashes match", "[cli][resultbundle]")
{
  const fs::path example = fs::path(MDIVICOM_SOURCE_DIR) / "examples/results";
  const auto result =
      run_mdivicom({"resultbundles", "validate", "--sidecar", (example / "resultbundle.json").string(), "--policy",
                    "plugin_strict", "--expect-type", "mdivicom.gaze.fixations", "--supported-major", "0"});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::StartsWith("validation: valid (mode=strict)\n"));
  const json sidecar = json::parse(read_file(example / "resultbundle.json"));
  for (const auto& file : sidecar["files"]) {
    const std::string content = read_file(example / file["path"].get<std::string>());
    CHECK(file["size"] == content.size());
    CHECK(file["sha256"] == mdivicom::sha256_hex(content));
  }
}
