// A sidecar the runner writes must pass `mdivicom resultbundles validate` in strict mode.
#include "core/resultbundle/writer.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

namespace fs = std::filesystem;
using mdivicom::test::run_mdivicom;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;
using nlohmann::json;

TEST_CASE("a runner-written resultbundle passes resultbundles validate in strict mode", "[cli][resultbundle]")
{
  TempDir dir;
  const fs::path out = dir / "out/msr.vad";
  write_file(out / "audio/ses-01/vad.tsv", "onset\tduration\n0.0\t1.2\n");
  write_file(out / "audio/ses-02/vad.tsv", "onset\tduration\n");
  write_file(out / "events.tsv", "onset\tduration\ttier\tlabel\n");
  const json plugin = {
      {"id", "vad"},
      {"publisher", "msr"},
      {"version", "2.0.1"},
      {"meta",
       {{"resultbundle",
         {{"type", "mdivicom.audio.vad"},
          {"schema_version", "1.0.0"},
          {"time_reference", {{"kind", "t_session"}, {"unit", "s"}}},
          {"files",
           {{{"glob", "audio/**/vad.tsv"},
             {"role", "segments"},
             {"format", "text/tab-separated-values"},
             {"required", true}},
            {{"glob", "events.tsv"}, {"role", "events"}, {"format", "text/tab-separated-values"}}}}}}}},
  };
  const json fragment = mdivicom::resultbundle::finalize_resultbundle(plugin, out, "20250101T000000Z_0123abcd");
  INFO(fragment.dump(2));
  REQUIRE(fragment["action"] == "written");

  const auto result =
      run_mdivicom({"resultbundles", "validate", "--sidecar", (out / "resultbundle.json").string(), "--mode", "strict",
                    "--expect-type", "mdivicom.audio.vad", "--supported-major", "1", "--json"});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  const json document = json::parse(result.out);
  CHECK(document["validation"]["valid"] == true);
  CHECK(document["validation"]["warnings"].empty());
  CHECK(document["compatibility"]["level"] == "compatible");
  CHECK(document["resolved"]["files"].size() == 3);
  for (const auto& file : document["resolved"]["files"]) {
    CHECK(file["exists"] == true);
  }
}
