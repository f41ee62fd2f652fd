// Up-to-date checks of container runs: the image ID is part of the run's key, found without
// pulling, so a run on the same image is skipped and one on a retagged image runs again.
#include "container/support.hpp"

#include "lanes/container/image/image.hpp"
#include "support/process.hpp"
#include "support/record_schema.hpp"

#include <unistd.h>

namespace fs = std::filesystem;
using namespace mdivicom;
using namespace mdivicom::test;

namespace {

void up_to_date_follows_the_image(const TestEngine& engine)
{
  auto handle = engine.connect();
  const std::string repo = "mdivicom-test/uptodate";
  const std::string tag = std::to_string(::getpid());
  REQUIRE(container::tag_image(handle, k_test_image, repo, tag).ok());
  TempDir temp;
  write_file(temp / "dataset" / "a.txt", "a\n");
  nlohmann::json manifest = {
      {"meta",
       {{"api_version", "mdivicomtools.plugin.v0.1"},
        {"id", "ctr-fresh"},
        {"kind", "container"},
        {"version", "0.1.0"},
        {"description", "up-to-date test"}}},
      {"entry", {{"image", repo + ":" + tag}, {"argv", {"sh", "-c", "echo made > {out_dir}/made.txt"}}}},
  };
  write_file(temp / "manifests" / "ctr-fresh.json", manifest.dump());
  CommandOptions options;
  options.env["MDIVICOM_PLUGIN_PATH"] = (temp / "manifests").string();
  options.env["XDG_CACHE_HOME"] = (temp / "cache").string();
  auto run = [&](std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run",       "ctr-fresh",
                                     "--dataset", (temp / "dataset").string(),
                                     "--out",     (temp / "out").string(),
                                     "--engine",  engine.engine_option(),
                                     "--backend", engine.name};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_mdivicom(args, options);
  };

  CommandResult first = run();
  INFO(first.out << first.err);
  REQUIRE(first.exit_code == 0);
  nlohmann::json record;
  for (const auto& file : fs::directory_iterator(temp / "out" / "_runs")) {
    if (file.path().extension() == ".json") {
      record = nlohmann::json::parse(read_file(file.path()));
    }
  }
  check_record_schema(record);
  const std::string old_id = record["key"]["parts"]["code"]["image_id"];
  CHECK(old_id == record["container"]["image"]["id"]);

  CommandResult again = run();
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.err, Catch::Contains("is up to date (run " + record["run_id"].get<std::string>() + ")"));

  auto other = container::load_archive(handle, test_images_dir() / "other-archive.tar");
  REQUIRE(other.ok());
  REQUIRE(container::tag_image(handle, "mdivicom-test/other:1", repo, tag).ok()); // the archive's own name
  auto inspect = container::inspect_image(handle, repo + ":" + tag);
  REQUIRE(inspect.ok());
  const std::string new_id = inspect->value("Id", "");
  REQUIRE(new_id != old_id);
  CommandResult changed = run({"--explain"});
  INFO(changed.out << changed.err);
  CHECK(changed.exit_code == 3);
  CHECK_THAT(changed.out,
             Catch::Contains("runs: image changed: " + old_id.substr(0, 19) + "… → " + new_id.substr(0, 19) + "…"));
  CHECK(container::remove_image(handle, repo + ":" + tag).ok());
}

} // namespace

ENGINE_TEST_CASE("a container run is up to date on the same image ID and out of date once the tag moves",
                 "[container][cli][uptodate]", up_to_date_follows_the_image)
