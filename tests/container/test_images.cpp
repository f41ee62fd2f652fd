#include "container/support.hpp"

#include "lanes/container/image/image.hpp"

namespace fs = std::filesystem;
using namespace mdivicom;
using namespace mdivicom::test;

namespace {

std::string archive_id(const std::string& name)
{
  std::string id = read_file(test_images_dir() / (name + ".id"));
  return id.substr(0, id.find('\n'));
}

// A plugin whose manifest sits next to a copy of an archive from the test images.
nlohmann::json archived_entry(RunSetup& setup, const std::string& image, const std::string& archive)
{
  fs::copy_file(test_images_dir() / archive, setup.manifest_dir() / "image.tar");
  return {{"image", image}, {"argv", {"sh", "-c", "echo from-archive"}}, {"image_archive", "image.tar"}};
}

RunOutcome run_entry(const TestEngine& engine, const nlohmann::json& entry, CaptureSink& sink,
                     const std::string& pull = "missing")
{
  RunSetup setup(engine, entry);
  setup.request().options["pull"] = pull;
  return setup.execute(sink);
}

void archive_is_loaded_when_missing(const TestEngine& engine)
{
  auto handle = engine.connect();
  container::remove_image(handle, k_archived_image);
  RunSetup setup(engine, {});
  setup.request().plugin.object["entry"] = archived_entry(setup, k_archived_image, "archive.tar");
  CaptureSink sink;
  RunOutcome outcome = setup.execute(sink);
  INFO(outcome.error.dump());
  CHECK(outcome.status == RunStatus::succeeded);
  CHECK(sink.out_text == "from-archive\n");
  const auto& image = outcome.facts["container"]["image"];
  CHECK(image["source"] == "loaded");
  CHECK(image["id"] == archive_id("archive"));
  CHECK(image["archive"] == (setup.manifest_dir() / "image.tar").string());

  CaptureSink again;
  RunOutcome second = setup.execute(again);
  CHECK(second.facts["container"]["image"]["source"] == "present");
  CHECK(second.facts["container"]["image"]["id"] == archive_id("archive"));
}
ENGINE_TEST_CASE("a missing image is loaded from the manifest's image_archive without a registry", "[container]",
                 archive_is_loaded_when_missing)

void bad_archives_are_refused(const TestEngine& engine)
{
  auto handle = engine.connect();
  for (const char* archive : {"truncated-archive.tar", "layerless-archive.tar"}) {
    container::remove_image(handle, "mdivicom-test/broken:1");
    RunSetup setup(engine, {});
    setup.request().plugin.object["entry"] = archived_entry(setup, "mdivicom-test/broken:1", archive);
    CaptureSink sink;
    RunOutcome outcome = setup.execute(sink);
    INFO(archive << ": " << outcome.error.dump());
    CHECK(outcome.status == RunStatus::failed);
    CHECK(outcome.error["type"] == "mdivicom.ImageError");
    std::string message = outcome.error["message"];
    CHECK(message.find("image archive " + (setup.manifest_dir() / "image.tar").string()) != std::string::npos);
    CHECK(message.find("rebuild it") != std::string::npos);
    CHECK(outcome.facts["container"].contains("container_id") == false);
  }
  RunSetup setup(engine, {});
  write_file(setup.manifest_dir() / "image.tar", "not a tarball at all\n");
  setup.request().plugin.object["entry"] = {
      {"image", "mdivicom-test/broken:1"}, {"argv", {"true"}}, {"image_archive", "image.tar"}};
  CaptureSink sink;
  RunOutcome outcome = setup.execute(sink);
  CHECK(outcome.status == RunStatus::failed);
  CHECK(outcome.error["message"].get<std::string>().find("image.tar") != std::string::npos);
}
ENGINE_TEST_CASE("a truncated, layerless or non-tar image archive is refused with a clear error", "[container]",
                 bad_archives_are_refused)

void absent_archive_is_not_pulled_instead(const TestEngine& engine)
{
  auto handle = engine.connect();
  container::remove_image(handle, "mdivicom-test/unbuilt:1");
  RunSetup setup(engine, {});
  setup.request().plugin.object["entry"] = {
      {"image", "mdivicom-test/unbuilt:1"}, {"argv", {"true"}}, {"image_archive", "image.tar"}};
  CaptureSink sink;
  RunOutcome outcome = setup.execute(sink);
  CHECK(outcome.status == RunStatus::failed);
  CHECK(outcome.error["type"] == "mdivicom.ImageError");
  std::string message = outcome.error["message"];
  INFO(message);
  CHECK_THAT(message, Catch::Contains("image mdivicom-test/unbuilt:1 is not present in " + engine.name));
  CHECK_THAT(message, Catch::Contains("its image_archive " + (setup.manifest_dir() / "image.tar").string() +
                                      " does not exist; load the image ('" + engine.name + " load -i <archive>')"));
  CHECK_THAT(message, !Catch::Contains("pull"));
}
ENGINE_TEST_CASE("an image_archive that does not exist is an error saying how to get the image, never a pull",
                 "[container]", absent_archive_is_not_pulled_instead)

void pinned_digests_are_checked(const TestEngine& engine)
{
  auto handle = engine.connect();
  std::string other = archive_id("other-archive");
  container::remove_image(handle, "mdivicom-test/other:1");
  // Pinned to the archive's own image ID: loaded and run.
  {
    RunSetup setup(engine, {});
    setup.request().plugin.object["entry"] = archived_entry(setup, "mdivicom-test/other@" + other, "other-archive.tar");
    setup.request().plugin.object["entry"]["argv"] = {"/bin/true"};
    CaptureSink sink;
    RunOutcome outcome = setup.execute(sink);
    INFO(outcome.error.dump());
    CHECK(outcome.status == RunStatus::succeeded);
    CHECK(outcome.facts["container"]["image"]["id"] == other);
  }
  // Pinned to another digest: refused before anything is loaded or run.
  std::string wrong = "sha256:" + std::string(64, 'a');
  RunSetup setup(engine, {});
  setup.request().plugin.object["entry"] = archived_entry(setup, "mdivicom-test/pinned@" + wrong, "archive.tar");
  CaptureSink sink;
  RunOutcome outcome = setup.execute(sink);
  CHECK(outcome.status == RunStatus::failed);
  std::string message = outcome.error["message"];
  INFO(message);
  CHECK(message.find("is pinned") != std::string::npos);
  CHECK(message.find(archive_id("archive")) != std::string::npos);
  CHECK(message.find("refusing") != std::string::npos);
  CHECK(sink.out_text.empty());
}
ENGINE_TEST_CASE("a pinned image runs only when its digest matches", "[container]", pinned_digests_are_checked)

void missing_image_is_reported(const TestEngine& engine)
{
  CaptureSink sink;
  RunOutcome never = run_entry(engine, {{"image", "mdivicom-test/absent:1"}, {"argv", {"true"}}}, sink, "never");
  CHECK(never.status == RunStatus::failed);
  CHECK(never.error["type"] == "mdivicom.ImageError");
  std::string message = never.error["message"];
  CHECK(message.find("mdivicom-test/absent:1 is not present") != std::string::npos);
  CHECK(message.find("--pull never") != std::string::npos);

  RunOutcome pull =
      run_entry(engine, {{"image", test_registry() + "/mdivicom-test/absent:1"}, {"argv", {"true"}}}, sink);
  CHECK(pull.status == RunStatus::failed);
  message = pull.error["message"];
  INFO(message);
  CHECK(message.find("cannot pull image " + test_registry() + "/mdivicom-test/absent:1") != std::string::npos);
}
ENGINE_TEST_CASE("a missing image that cannot be pulled or loaded is a clear failure", "[container]",
                 missing_image_is_reported)

void pulled_from_registry(const TestEngine& engine)
{
  auto handle = engine.connect();
  std::string ref = test_registry() + "/mdivicom-test/pulled:1";
  container::remove_image(handle, ref);
  CaptureSink sink;
  RunOutcome outcome = run_entry(engine, {{"image", ref}, {"argv", {"sh", "-c", "echo pulled"}}}, sink);
  INFO(outcome.error.dump());
  REQUIRE(outcome.status == RunStatus::succeeded);
  CHECK(sink.out_text == "pulled\n");
  const auto& image = outcome.facts["container"]["image"];
  CHECK(image["source"] == "pulled");
  std::string digest;
  for (const auto& repo_digest : image["repo_digests"]) {
    if (repo_digest.get<std::string>().rfind(test_registry() + "/mdivicom-test/pulled@sha256:", 0) == 0) {
      digest = repo_digest.get<std::string>().substr(repo_digest.get<std::string>().find('@') + 1);
    }
  }
  REQUIRE_FALSE(digest.empty());

  // Pinned to the registry digest, with --pull always: pulled again and run.
  CaptureSink pinned_sink;
  RunOutcome pinned =
      run_entry(engine, {{"image", test_registry() + "/mdivicom-test/pulled@" + digest}, {"argv", {"true"}}},
                pinned_sink, "always");
  INFO(pinned.error.dump());
  CHECK(pinned.status == RunStatus::succeeded);
  CHECK(pinned.facts["container"]["image"]["source"] == "pulled");
  CHECK(pinned.facts["container"]["image"]["id"] == image["id"]);
}
ENGINE_TEST_CASE("an image is pulled from a registry and recorded with its repo digest", "[container]",
                 pulled_from_registry)

} // namespace
