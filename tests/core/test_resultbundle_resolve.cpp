#include "core/resultbundle/bundle.hpp"
#include "core/resultbundle/load.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include <sys/stat.h>

namespace rb = mdivicom::resultbundle;
namespace fs = std::filesystem;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;
using nlohmann::json;

namespace {

json sidecar_with(const json& files, const json& extra = json::object())
{
  json sidecar = {
      {"resultbundle_type", "mdivicom.timeline.subject"},
      {"schema_version", "0.1.0"},
      {"time_reference", {{"kind", "timestamp"}, {"unit", "ns"}}},
      {"files", files},
  };
  sidecar.update(extra);
  return sidecar;
}

json one_file(const std::string& path, bool required = true)
{
  return json::array({{{"path", path}, {"role", "timeline"}, {"format", "text/csv"}, {"required", required}}});
}

fs::path real(const fs::path& path)
{
  return fs::canonical(path);
}

} // namespace

TEST_CASE("an attached resultbundle sidecar resolves its files against its own folder", "[core][resultbundle]")
{
  TempDir dir;
  write_file(dir / "bundle/timeline.csv", "time_s\n0.0\n");
  write_file(dir / "bundle/resultbundle.json", sidecar_with(one_file("timeline.csv")).dump());

  auto resolved = rb::resolve_sidecar(dir / "bundle/resultbundle.json", {}, true);
  REQUIRE(resolved.ok());
  CHECK_FALSE(resolved->detached);
  CHECK(resolved->payload_root == real(dir / "bundle").string());
  CHECK(resolved->sidecar_path == real(dir / "bundle/resultbundle.json").string());
  REQUIRE(resolved->files.size() == 1);
  CHECK(resolved->files[0].exists);
  CHECK(resolved->files[0].resolved_path == real(dir / "bundle/timeline.csv").string());

  const json shape = resolved->to_json();
  CHECK(shape == json({
                     {"sidecar_path", resolved->sidecar_path},
                     {"payload_root", resolved->payload_root},
                     {"detached", false},
                     {"resultbundle_type", "mdivicom.timeline.subject"},
                     {"schema_version", "0.1.0"},
                     {"source", nullptr},
                     {"files", json::array({{{"declared_path", "timeline.csv"},
                                             {"resolved_path", resolved->files[0].resolved_path},
                                             {"role", "timeline"},
                                             {"format", "text/csv"},
                                             {"required", true},
                                             {"exists", true}}})},
                     {"issues", json::array()},
                     {"warnings", json::array()},
                 }));
}

TEST_CASE("a detached resultbundle sidecar resolves its root against the named base directory", "[core][resultbundle]")
{
  TempDir dir;
  write_file(dir / "out/payload/timeline.csv", "time_s\n");
  write_file(
      dir / "out/resultbundles/timeline/resultbundle.json",
      sidecar_with(one_file("timeline.csv"), {{"source", {{"root", "payload"}, {"root_base", "OUT_DIR"}}}}).dump());

  rb::ResolveDirs dirs;
  dirs.out_dir = dir / "out";
  auto resolved = rb::resolve_sidecar(dir / "out/resultbundles/timeline/resultbundle.json", dirs, true);
  REQUIRE(resolved.ok());
  CHECK(resolved->detached);
  CHECK(resolved->payload_root == real(dir / "out/payload").string());
  CHECK(resolved->source == json({{"root", "payload"}, {"root_base", "out_dir"}}));
  CHECK(resolved->warnings.empty());
  REQUIRE(resolved->files.size() == 1);
  CHECK(resolved->files[0].exists);
}

TEST_CASE("a resultbundle base directory given with ~ is expanded and resolved like the reference does",
          "[core][resultbundle]")
{
  TempDir dir;
  write_file(dir / "home/out/payload/t.csv", "x\n");
  write_file(dir / "s/resultbundle.json",
             sidecar_with(one_file("t.csv"), {{"source", {{"root", "payload"}, {"root_base", "out_dir"}}}}).dump());
  const std::string old_home = std::getenv("HOME") ? std::getenv("HOME") : "";
  ::setenv("HOME", (dir / "home").c_str(), 1);
  rb::ResolveDirs dirs;
  dirs.out_dir = "~/out";
  auto resolved = rb::resolve_sidecar(dir / "s/resultbundle.json", dirs, true);
  ::setenv("HOME", old_home.c_str(), 1);
  REQUIRE(resolved.ok());
  CHECK(resolved->payload_root == real(dir / "home/out/payload").string());
  CHECK(resolved->files.at(0).exists);
}

TEST_CASE("a resultbundle file symlinked out of the payload root is an escape", "[core][resultbundle]")
{
  TempDir dir;
  write_file(dir / "secret.csv", "password\n");
  write_file(dir / "bundle/resultbundle.json", sidecar_with(one_file("link.csv")).dump());
  fs::create_symlink(dir / "secret.csv", dir / "bundle/link.csv");

  auto strict = rb::resolve_sidecar(dir / "bundle/resultbundle.json", {}, true);
  REQUIRE_FALSE(strict.ok());
  CHECK(strict.error() == "files[0].path escapes payload root: link.csv");

  auto lenient = rb::resolve_sidecar(dir / "bundle/resultbundle.json", {}, false);
  REQUIRE(lenient.ok());
  CHECK(lenient->issues == std::vector<std::string>{"files[0].path escapes payload root: link.csv"});
  CHECK(lenient->files.at(0).resolved_path == real(dir / "secret.csv").string());
}

TEST_CASE("a symlinked directory that stays inside the resultbundle payload root is fine", "[core][resultbundle]")
{
  TempDir dir;
  write_file(dir / "bundle/data/v2/t.csv", "x\n");
  fs::create_directory_symlink("data/v2", dir / "bundle/latest");
  write_file(dir / "bundle/resultbundle.json", sidecar_with(one_file("latest/../v2/t.csv")).dump());
  auto resolved = rb::resolve_sidecar(dir / "bundle/resultbundle.json", {}, true);
  REQUIRE(resolved.ok());
  CHECK(resolved->files.at(0).resolved_path == real(dir / "bundle/data/v2/t.csv").string());
  CHECK(resolved->files.at(0).exists);
}

TEST_CASE("a dot-dot after a symlinked directory in a resultbundle path follows the link's real parent, as Python does",
          "[core][resultbundle]")
{
  TempDir dir;
  write_file(dir / "elsewhere/deep/x", "");
  write_file(dir / "elsewhere/t.csv", "x\n");
  fs::create_directories(dir / "bundle");
  fs::create_directory_symlink(dir / "elsewhere/deep", dir / "bundle/jump");
  write_file(dir / "bundle/resultbundle.json", sidecar_with(one_file("jump/../t.csv")).dump());
  auto strict = rb::resolve_sidecar(dir / "bundle/resultbundle.json", {}, true);
  REQUIRE_FALSE(strict.ok());
  CHECK(strict.error() == "files[0].path escapes payload root: jump/../t.csv");
}

TEST_CASE("a symlink loop in a resultbundle path is reported, not followed forever", "[core][resultbundle]")
{
  TempDir dir;
  fs::create_directories(dir / "bundle");
  fs::create_symlink("b", dir / "bundle/a");
  fs::create_symlink("a", dir / "bundle/b");
  write_file(dir / "bundle/resultbundle.json", sidecar_with(one_file("a/t.csv")).dump());
  auto strict = rb::resolve_sidecar(dir / "bundle/resultbundle.json", {}, true);
  REQUIRE_FALSE(strict.ok());
  CHECK_THAT(strict.error(), Catch::StartsWith("files[0].path could not be resolved: Symlink loop from "));
  auto lenient = rb::resolve_sidecar(dir / "bundle/resultbundle.json", {}, false);
  REQUIRE(lenient.ok());
  CHECK(lenient->files.empty());
  CHECK(lenient->issues.size() == 1);
}

TEST_CASE("a resultbundle sidecar over 16 MiB is refused without being read", "[core][resultbundle]")
{
  TempDir dir;
  write_file(dir / "resultbundle.json", "{}");
  fs::resize_file(dir / "resultbundle.json", rb::k_max_sidecar_bytes + 1); // sparse: nothing to read quickly
  auto resolved = rb::resolve_sidecar(dir / "resultbundle.json", {}, false);
  REQUIRE_FALSE(resolved.ok());
  CHECK_THAT(resolved.error(), Catch::StartsWith("Sidecar is too large: ") && Catch::Contains("16 MiB"));
}

TEST_CASE("a resultbundle sidecar that is a FIFO or under a file gets a clear error", "[core][resultbundle]")
{
  TempDir dir;
  REQUIRE(::mkfifo((dir / "fifo.json").c_str(), 0600) == 0);
  auto fifo = rb::resolve_sidecar(dir / "fifo.json", {}, false);
  REQUIRE_FALSE(fifo.ok());
  CHECK_THAT(fifo.error(), Catch::StartsWith("Sidecar path is not a file: "));

  auto through_file = rb::resolve_sidecar(dir / "fifo.json/resultbundle.json", {}, false);
  REQUIRE_FALSE(through_file.ok());
  CHECK_THAT(through_file.error(), Catch::StartsWith("Sidecar does not exist: "));
}

TEST_CASE("legacy resultbundle upstream keys become upstream_tool, or are dropped when it is present",
          "[core][resultbundle]")
{
  TempDir dir;
  write_file(dir / "t.csv", "");
  write_file(dir / "a.json", sidecar_with(one_file("t.csv"), {{"payload_provenance", {{"tool_ref", "x/y"}}}}).dump());
  auto renamed = rb::resolve_sidecar(dir / "a.json", {}, true);
  REQUIRE(renamed.ok());
  CHECK(renamed->sidecar["upstream_tool"] == json({{"tool_ref", "x/y"}}));
  CHECK_FALSE(renamed->sidecar.contains("payload_provenance"));
  CHECK(renamed->warnings ==
        std::vector<std::string>{"Deprecated key 'payload_provenance' treated as alias for 'upstream_tool'."});

  write_file(
      dir / "b.json",
      sidecar_with(one_file("t.csv"), {{"upstream_tool", 1}, {"upstream", 2}, {"payload_provenance", 3}}).dump());
  auto dropped = rb::resolve_sidecar(dir / "b.json", {}, true);
  REQUIRE(dropped.ok());
  CHECK(dropped->sidecar["upstream_tool"] == 1);
  CHECK_FALSE(dropped->sidecar.contains("upstream"));
  CHECK(dropped->warnings.size() == 2);
  CHECK_THAT(dropped->warnings[0], Catch::StartsWith("Deprecated key 'payload_provenance' ignored"));
}

TEST_CASE("resultbundle role, format and required are taken as Python's str() and truthiness", "[core][resultbundle]")
{
  TempDir dir;
  const json files = json::array({{{"path", "a"}, {"role", 1.5}, {"format", nullptr}, {"required", "no"}},
                                  {{"path", "b"}, {"role", json::array({"x", true})}, {"required", 0}}});
  write_file(dir / "s.json", sidecar_with(files).dump());
  auto resolved = rb::resolve_sidecar(dir / "s.json", {}, false);
  REQUIRE(resolved.ok());
  REQUIRE(resolved->files.size() == 2);
  CHECK(resolved->files[0].role == "1.5");
  CHECK(resolved->files[0].format == "None");
  CHECK(resolved->files[0].required);
  CHECK(resolved->files[1].role == "['x', True]");
  CHECK(resolved->files[1].format == "");
  CHECK_FALSE(resolved->files[1].required);
}

TEST_CASE("validating an unresolvable resultbundle sidecar yields only the validation object", "[core][resultbundle]")
{
  TempDir dir;
  rb::ValidateOptions options;
  options.policy = rb::policy_by_name("pipeline_auto");
  const auto result = rb::validate_resultbundle(dir / "missing.json", {}, options);
  CHECK_FALSE(result.valid());
  CHECK(result.to_json() ==
        json({{"validation",
               {{"mode", "warn"},
                {"valid", false},
                {"errors", {"Sidecar does not exist: " + (fs::canonical(dir.path()) / "missing.json").string()}},
                {"warnings", json::array()},
                {"notes", json::array()}}}}));
}
