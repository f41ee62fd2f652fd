// The example plugin (examples/python/mdivicom-stream-inventory) on the example dataset,
// run by the real binary as a dev root and as an installed distribution.

#include <catch2/catch.hpp>

#include "inproc_support.hpp"
#include "support/process.hpp"

#include <sstream>

using namespace mdivicom;
using namespace mdivicom::test;
namespace fs = std::filesystem;

namespace {

const fs::path k_examples = fs::path(MDIVICOM_SOURCE_DIR) / "examples";
const fs::path k_package = k_examples / "python" / "mdivicom-stream-inventory";

std::map<std::string, std::string> csv_row(const std::string& csv, const std::string& stream_id)
{
  std::istringstream in(csv);
  std::string header;
  std::getline(in, header);
  auto split = [](const std::string& line) {
    std::vector<std::string> cells;
    std::stringstream stream(line);
    std::string cell;
    while (std::getline(stream, cell, ',')) {
      cells.push_back(cell);
    }
    return cells;
  };
  auto names = split(header);
  std::string line;
  while (std::getline(in, line)) {
    auto cells = split(line);
    if (cells.size() > 2 && cells[2] == stream_id) {
      std::map<std::string, std::string> row;
      for (size_t i = 0; i < names.size() && i < cells.size(); ++i) {
        row[names[i]] = cells[i];
      }
      return row;
    }
  }
  return {};
}

void check_inventory(const fs::path& plugin_out)
{
  std::string csv = read_file(plugin_out / "inventory.csv");
  CHECK(csv.rfind("session,stream_type,stream_id,file,format,bytes,samples,rate_hz,start_s,end_s,duration_s\n", 0) ==
        0);
  auto video = csv_row(csv, "str-cam01");
  CHECK(video["format"] == "y4m");
  CHECK(video["samples"] == "20");
  CHECK(video["duration_s"] == "2.0");
  auto audio = csv_row(csv, "str-mic01");
  CHECK(audio["samples"] == "32000");
  CHECK(audio["rate_hz"] == "16000");
  CHECK(audio["duration_s"] == "2.0");
  CHECK(audio["bytes"] ==
        std::to_string(fs::file_size(k_examples / "dataset/sessions/ses-01/raw/audio/str-mic01/str-mic01.wav")));
  auto gaze = csv_row(csv, "str-eye01");
  CHECK(gaze["samples"] == "240");
  CHECK(gaze["end_s"] == "1.991667");
  auto imu = csv_row(csv, "str-imu01");
  CHECK(imu["rate_hz"] == "200.0");
  auto provenance = nlohmann::json::parse(read_file(plugin_out / "provenance.json"));
  CHECK(provenance["inputs"].size() == 4);
  CHECK(provenance["outputs"][0]["path"] == "inventory.csv");
  CHECK(provenance["dry_run"] == false);
}

} // namespace

TEST_CASE("the stream-inventory example runs from its source tree on the example dataset", "[inproc][example]")
{
  TempDir dir;
  CommandOptions options = isolated_options(dir);
  options.env["MDIVICOM_DEV_PLUGIN_ROOTS"] = k_package.string();
  auto result =
      run_mdivicom({"run", "mdivicom-examples/stream-inventory", "--dataset", (k_examples / "dataset").string(),
                    "--out", (dir / "out").string(), "--config", R"({"include": ["video", "audio", "gaze", "imu"]})"},
                   options);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  check_inventory(dir / "out" / "stream-inventory");
  auto sidecar = run_mdivicom(
      {"resultbundles", "validate", "--sidecar", (dir / "out/stream-inventory/resultbundle.json").string()}, options);
  CHECK(sidecar.exit_code == 0);
}

TEST_CASE("the stream-inventory example runs when installed in a site dir", "[inproc][example]")
{
  TempDir dir;
  fs::path site = dir / "site";
  fs::path module_dir = k_package / "src" / "mdivicom_stream_inventory";
  write_installed(site, "mdivicom_stream_inventory", "0.1.0",
                  {{"stream-inventory", "mdivicom_stream_inventory:get_plugin"}},
                  {{"mdivicom_stream_inventory/__init__.py", read_file(module_dir / "__init__.py")},
                   {"mdivicom_stream_inventory/inventory.py", read_file(module_dir / "inventory.py")}});
  CommandOptions options = isolated_options(dir);
  options.env["PYTHONPATH"] = site.string();
  auto listing = run_mdivicom({"plugins", "list"}, options);
  CHECK_THAT(listing.out, Catch::Contains("mdivicom-examples/stream-inventory\tpython\t0.1.0\n"));
  auto result = run_mdivicom(
      {"run", "stream-inventory", "--dataset", (k_examples / "dataset").string(), "--out", (dir / "out").string()},
      options);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  check_inventory(dir / "out" / "stream-inventory");
}

TEST_CASE("the stream-inventory example honours dry_run and rejects an unknown stream type", "[inproc][example]")
{
  TempDir dir;
  CommandOptions options = isolated_options(dir);
  options.env["MDIVICOM_DEV_PLUGIN_ROOTS"] = k_package.string();
  auto dry = run_mdivicom({"run", "stream-inventory", "--dataset", (k_examples / "dataset").string(), "--out",
                           (dir / "dry").string(), "--dry-run"},
                          options);
  INFO(dry.err);
  REQUIRE(dry.exit_code == 0);
  CHECK_FALSE(fs::exists(dir / "dry" / "stream-inventory" / "inventory.csv"));
  auto provenance = nlohmann::json::parse(read_file(dir / "dry" / "stream-inventory" / "provenance.json"));
  CHECK(provenance["dry_run"] == true);
  CHECK(provenance["planned_inputs"].size() == 4);

  auto bad = run_mdivicom({"run", "stream-inventory", "--dataset", (k_examples / "dataset").string(), "--out",
                           (dir / "bad").string(), "--config", R"({"include": ["thermal"]})"},
                          options);
  CHECK(bad.exit_code == 2); // refused by the plugin's config_schema before it runs
  CHECK(bad.err.find("thermal") != std::string::npos);
}
