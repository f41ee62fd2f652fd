#include "core/resultbundle/bundle.hpp"
#include "core/resultbundle/glob.hpp"
#include "core/resultbundle/writer.hpp"
#include "core/resultbundle/writer_spec.hpp"
#include "core/hash/sha256.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

namespace rb = mdivicom::resultbundle;
namespace fs = std::filesystem;
using mdivicom::test::read_file;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;
using nlohmann::json;

namespace {

json rule(const std::string& glob, const std::string& role, bool required = false)
{
  return {{"glob", glob}, {"role", role}, {"format", "text/tab-separated-values"}, {"required", required}};
}

json plugin_with(const json& files)
{
  return {
      {"id", "fixations"},
      {"publisher", "msr"},
      {"version", "1.4.0"},
      {"kind", "python"},
      {"meta",
       {{"id", "fixations"},
        {"resultbundle",
         {{"type", "mdivicom.gaze.fixations"},
          {"schema_version", "0.2.0"},
          {"time_reference", {{"kind", "t_session"}, {"unit", "s"}}},
          {"files", files}}}}},
  };
}

} // namespace

TEST_CASE("resultbundle rule globs match like a shell with globstar", "[core][resultbundle]")
{
  CHECK(rb::glob_matches("*.tsv", "a.tsv"));
  CHECK_FALSE(rb::glob_matches("*.tsv", "gaze/a.tsv"));
  CHECK(rb::glob_matches("gaze/*.tsv", "gaze/a.tsv"));
  CHECK(rb::glob_matches("**/*.tsv", "a.tsv"));
  CHECK(rb::glob_matches("**/*.tsv", "x/y/z/a.tsv"));
  CHECK(rb::glob_matches("x/**/a.tsv", "x/a.tsv"));
  CHECK(rb::glob_matches("x/**/a.tsv", "x/1/2/a.tsv"));
  CHECK_FALSE(rb::glob_matches("x/**/a.tsv", "y/x/a.tsv"));
  CHECK(rb::glob_matches("**", "any/depth/file"));
  CHECK(rb::glob_matches("ses-0?/[a-c]*.csv", "ses-01/b1.csv"));
  CHECK_FALSE(rb::glob_matches("ses-0?/[a-c]*.csv", "ses-01/d1.csv"));
  CHECK_FALSE(rb::glob_matches("*", ".hidden"));
  CHECK(rb::glob_matches(".*", ".hidden"));
  CHECK_FALSE(rb::glob_matches("**/a.tsv", ".git/a.tsv"));
  CHECK(rb::glob_matches(std::string(40, '*').insert(0, "**/") + "/**/x", "a/b/x"));
  const std::string deep = "**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/z";
  CHECK_FALSE(rb::glob_matches(deep, "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y")); // no blow-up
}

TEST_CASE("resultbundle rule globs that could leave the output dir are refused", "[core][resultbundle]")
{
  CHECK_FALSE(rb::glob_problem("gaze/**/*.tsv").has_value());
  CHECK(rb::glob_problem("").has_value());
  CHECK_THAT(*rb::glob_problem("/etc/*"), Catch::Contains("absolute"));
  CHECK_THAT(*rb::glob_problem("../*.tsv"), Catch::Contains("'..' segment"));
  CHECK_THAT(*rb::glob_problem("a/./b"), Catch::Contains("'.' segment"));
  CHECK_THAT(*rb::glob_problem("a//b"), Catch::Contains("empty path segment"));
  CHECK_THAT(*rb::glob_problem("a/"), Catch::Contains("empty path segment"));
}

TEST_CASE("a malformed meta.resultbundle declaration is named field by field", "[core][resultbundle]")
{
  CHECK_FALSE(rb::bundle_spec_of(json{{"id", "x"}}).value().has_value());
  const auto check = [](json declaration, const std::string& message) {
    json plugin = {{"meta", {{"resultbundle", std::move(declaration)}}}};
    auto spec = rb::bundle_spec_of(plugin);
    REQUIRE_FALSE(spec.ok());
    CHECK(spec.error() == message);
  };
  check(json::array(), "meta.resultbundle must be an object");
  check({{"schema_version", "1.0"}}, "meta.resultbundle.type must be a non-empty string");
  check({{"type", "t"}, {"schema_version", "1.0"}, {"files", json::array()}},
        "meta.resultbundle.files must be a non-empty array of rules {glob, role, format, required}");
  check({{"type", "t"}, {"schema_version", "1.0"}, {"files", {rule("../x", "r")}}},
        "meta.resultbundle.files[0].glob '../x': the glob has a '..' segment; rules may only name files below the "
        "output directory");
  check({{"type", "t"}, {"schema_version", "1.0"}, {"files", {{{"glob", "x"}, {"role", "r"}}}}},
        "meta.resultbundle.files[0].format must be a non-empty string");
  check({{"type", "t"}, {"schema_version", "1.0"}, {"time_reference", {{"kind", "t"}}}, {"files", {rule("x", "r")}}},
        "meta.resultbundle.time_reference.unit must be a non-empty string");
  json bad_required = rule("x", "r");
  bad_required["required"] = "yes";
  check({{"type", "t"}, {"schema_version", "1.0"}, {"files", {bad_required}}},
        "meta.resultbundle.files[0].required must be true or false");

  auto flat =
      rb::bundle_spec_of(json{{"resultbundle", {{"type", "t"}, {"schema_version", "1"}, {"files", {rule("x", "r")}}}}});
  REQUIRE(flat.ok());
  REQUIRE(flat->has_value());
  CHECK((*flat)->time_reference == json({{"kind", "unspecified"}, {"unit", "unspecified"}}));
}

TEST_CASE("the runner writes a resultbundle sidecar that passes strict validation", "[core][resultbundle]")
{
  TempDir dir;
  const fs::path out = dir / "msr.fixations";
  write_file(out / "gaze/fixations.tsv", "onset\toffset\n0.1\t0.3\n");
  write_file(out / "gaze/ses-02/fixations.tsv", "onset\toffset\n");
  write_file(out / "gaze/notes.txt", "not listed\n");
  write_file(out / "events.tsv", "onset\tduration\n");
  write_file(out / "provenance.json", "{}");
  json fixations = rule("gaze/**/*.tsv", "fixations", true);
  fixations["key_columns"] = {{"t_start", "onset"}};
  fixations["time"] = {{"kind", "interval"}, {"start_key", "onset"}, {"end_key", "offset"}};
  const json plugin = plugin_with({fixations, rule("*.tsv", "events"), rule("**/fixations.tsv", "duplicate", true)});

  const json fragment = rb::finalize_resultbundle(plugin, out, "20250101T000000Z_deadbeef");
  INFO(fragment.dump(2));
  CHECK(fragment["action"] == "written");
  CHECK(fragment["ok"] == true);
  CHECK(fragment["fail_run"] == false);
  CHECK(fragment["file_count"] == 3);
  CHECK(fragment["path"] == (fs::canonical(out) / "resultbundle.json").string());
  CHECK(fragment["report"]["validation"]["mode"] == "strict");
  CHECK(fragment["report"]["validation"]["errors"].empty());

  const json sidecar = json::parse(read_file(out / "resultbundle.json"));
  CHECK(sidecar["resultbundle_type"] == "mdivicom.gaze.fixations");
  CHECK(sidecar["schema_version"] == "0.2.0");
  CHECK(sidecar["time_reference"] == json({{"kind", "t_session"}, {"unit", "s"}}));
  CHECK(sidecar["producer"] == json({{"tool_ref", "msr/fixations"},
                                     {"tool_version", "1.4.0"},
                                     {"pipeline_run_id", "20250101T000000Z_deadbeef"}}));
  CHECK(std::regex_match(sidecar["created_at"].get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  REQUIRE(sidecar["files"].size() == 3);
  CHECK(sidecar["files"][0]["path"] == "events.tsv");
  CHECK(sidecar["files"][0]["role"] == "events");
  CHECK(sidecar["files"][0]["required"] == false);
  CHECK_FALSE(sidecar["files"][0].contains("time"));
  CHECK(sidecar["files"][1]["path"] == "gaze/fixations.tsv");
  CHECK(sidecar["files"][1]["role"] == "fixations"); // the first matching rule wins
  CHECK(sidecar["files"][1]["key_columns"] == json({{"t_start", "onset"}}));
  CHECK(sidecar["files"][1]["time"]["kind"] == "interval");
  CHECK(sidecar["files"][1]["size"] == 21);
  CHECK(sidecar["files"][1]["sha256"] == mdivicom::sha256_hex("onset\toffset\n0.1\t0.3\n"));
  CHECK(sidecar["files"][2]["path"] == "gaze/ses-02/fixations.tsv");
  CHECK(fs::status(out / "resultbundle.json").permissions() == fs::perms(0644));
  CHECK(std::distance(fs::directory_iterator(out), fs::directory_iterator()) == 4); // no temporary left behind

  rb::ResolveDirs none;
  CHECK(rb::validate_resultbundle(out / "resultbundle.json", none, {}).valid());
}

TEST_CASE("resultbundle rules never follow or list symbolic links", "[core][resultbundle]")
{
  TempDir dir;
  const fs::path out = dir / "out";
  write_file(dir / "outside/secret.tsv", "secret\n");
  write_file(out / "real.tsv", "x\n");
  fs::create_directory_symlink(dir / "outside", out / "linked_dir");
  fs::create_symlink(dir / "outside/secret.tsv", out / "linked.tsv");
  const json fragment = rb::finalize_resultbundle(plugin_with(json::array({rule("**/*.tsv", "t", true)})), out, "r1");
  REQUIRE(fragment["action"] == "written");
  const json sidecar = json::parse(read_file(out / "resultbundle.json"));
  REQUIRE(sidecar["files"].size() == 1);
  CHECK(sidecar["files"][0]["path"] == "real.tsv");
}

TEST_CASE("a required resultbundle rule that matches nothing fails the run and writes nothing", "[core][resultbundle]")
{
  TempDir dir;
  write_file(dir / "out/other.csv", "");
  const json fragment = rb::finalize_resultbundle(
      plugin_with({rule("*.csv", "other"), rule("gaze/*.tsv", "fixations", true)}), dir / "out", "r1");
  CHECK(fragment == json({{"action", "failed"},
                          {"ok", false},
                          {"fail_run", true},
                          {"error", "required output missing: meta.resultbundle.files[1] (glob 'gaze/*.tsv', role "
                                    "'fixations') matched no file in " +
                                        (dir / "out").string()}}));
  CHECK_FALSE(fs::exists(dir / "out/resultbundle.json"));
}

TEST_CASE("optional resultbundle rules that match nothing leave no sidecar and do not fail", "[core][resultbundle]")
{
  TempDir dir;
  fs::create_directories(dir / "out");
  const json fragment = rb::finalize_resultbundle(plugin_with(json::array({rule("*.tsv", "t")})), dir / "out", "r1");
  INFO(fragment.dump(2));
  CHECK(fragment["action"] == "none");
  CHECK(fragment["fail_run"] == false);
  CHECK_FALSE(fs::exists(dir / "out/resultbundle.json"));

  const json no_dir = rb::finalize_resultbundle(plugin_with(json::array({rule("*.tsv", "t")})), dir / "absent", "r1");
  CHECK(no_dir["action"] == "none");
  const json no_dir_required =
      rb::finalize_resultbundle(plugin_with(json::array({rule("*.tsv", "t", true)})), dir / "absent", "r1");
  CHECK(no_dir_required["fail_run"] == true);
  CHECK_THAT(no_dir_required["error"].get<std::string>(), Catch::StartsWith("required output missing"));

  const json undeclared = rb::finalize_resultbundle(json{{"id", "x"}}, dir / "out", "r1");
  CHECK(undeclared["action"] == "none");
  CHECK(undeclared["reason"] == "the plugin declares no meta.resultbundle and wrote no resultbundle.json");
}

TEST_CASE("a resultbundle sidecar the plugin wrote is never overwritten, only validated", "[core][resultbundle]")
{
  TempDir dir;
  const fs::path out = dir / "out";
  write_file(out / "t.tsv", "x\n");
  const std::string own = json({{"resultbundle_type", "own"},
                                {"schema_version", "3.0"},
                                {"time_reference", {{"kind", "k"}, {"unit", "u"}}},
                                {"source", {{"root", "."}, {"root_base", "output_data_dir"}}},
                                {"files", {{{"path", "t.tsv"}, {"role", "r"}, {"format", "f"}, {"required", true}}}}})
                              .dump();
  write_file(out / "resultbundle.json", own);
  const json fragment = rb::finalize_resultbundle(plugin_with(json::array({rule("*.tsv", "t", true)})), out, "r1");
  CHECK(read_file(out / "resultbundle.json") == own);
  CHECK(fragment["action"] == "validated");
  CHECK(fragment["policy"] == "pipeline_auto");
  CHECK(fragment["ok"] == true);
  CHECK(fragment["fail_run"] == false);
  CHECK(fragment["report"]["validation"]["mode"] == "warn");
  CHECK(fragment["report"]["resolved"]["payload_root"] == fs::canonical(out).string());
  CHECK(fragment["report"]["validation"]["warnings"][0] ==
        "Deprecated source.root_base 'output_data_dir' normalized to 'out_dir'.");
}

TEST_CASE("an invalid plugin resultbundle sidecar fails the run only under a no-fallback policy",
          "[core][resultbundle]")
{
  TempDir dir;
  write_file(dir / "out/resultbundle.json", R"({"resultbundle_type": "x", "files": []})");
  const json lenient = rb::finalize_resultbundle(json::object(), dir / "out", "r1");
  CHECK(lenient["ok"] == false);
  CHECK(lenient["fail_run"] == false);
  CHECK(lenient["fallback_reason"] ==
        "resultbundle.json failed pipeline_auto validation: Missing required top-level key 'schema_version'. "
        "(and 2 more error(s))");

  const json strict = rb::finalize_resultbundle(json::object(), dir / "out", "r1", "plugin_strict");
  CHECK(strict["ok"] == false);
  CHECK(strict["fail_run"] == true);
  CHECK_FALSE(strict.contains("fallback_reason"));

  const json off = rb::finalize_resultbundle(json::object(), dir / "out", "r1", "legacy_off");
  CHECK(off["ok"] == true);
  CHECK(off["report"]["validation"]["notes"][0] == "Validation mode is off; envelope checks were skipped.");
}

TEST_CASE("a plugin resultbundle sidecar that is a symlink is refused, not followed", "[core][resultbundle]")
{
  TempDir dir;
  write_file(dir / "elsewhere.json", "{}");
  fs::create_directories(dir / "out");
  fs::create_symlink(dir / "elsewhere.json", dir / "out/resultbundle.json");
  const json fragment = rb::finalize_resultbundle(json::object(), dir / "out", "r1", "plugin_strict");
  CHECK(fragment["ok"] == false);
  CHECK(fragment["fail_run"] == true);
  CHECK_THAT(fragment["report"]["validation"]["errors"][0].get<std::string>(),
             Catch::StartsWith("Sidecar is a symbolic link: "));
  CHECK_FALSE(fragment["report"].contains("resolved"));
}

TEST_CASE("finalizing a resultbundle with an unknown policy is a usage error", "[core][resultbundle]")
{
  TempDir dir;
  try {
    rb::finalize_resultbundle(json::object(), dir.path(), "r1", "strictest");
    FAIL("no error");
  } catch (const mdivicom::Error& error) {
    CHECK(error.code() == mdivicom::ExitCode::usage);
    CHECK_THAT(error.what(), Catch::Contains("legacy_off, local_default, pipeline_auto, plugin_strict"));
  }
}

TEST_CASE("resultbundle outputs whose names are not UTF-8 are left out of the written sidecar", "[core][resultbundle]")
{
  TempDir dir;
  write_file(dir / "out/good.tsv", "");
  write_file(dir / "out" / std::string("bad\xff.tsv"), "");
  const json fragment =
      rb::finalize_resultbundle(plugin_with(json::array({rule("*.tsv", "t", true)})), dir / "out", "r1");
  INFO(fragment.dump(2));
  CHECK(fragment["ok"] == true);
  const json sidecar = json::parse(read_file(dir / "out/resultbundle.json"));
  REQUIRE(sidecar["files"].size() == 1);
  CHECK(sidecar["files"][0]["path"] == "good.tsv");
}
