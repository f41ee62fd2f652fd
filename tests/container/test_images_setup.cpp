// Not a test of its own: the ctest fixture runs it once, after engines.sh started the engines,
// to build the busybox test images locally and put them into both engines and the registry.
#include "container/support.hpp"

#include <fstream>

#include "lanes/container/image/image.hpp"
#include "support/process.hpp"

namespace fs = std::filesystem;
using namespace mdivicom;
using namespace mdivicom::test;

namespace {

std::string script(const char* name)
{
  return std::string(MDIVICOM_SOURCE_DIR) + "/examples/container/" + name;
}

void shell(const std::string& command)
{
  auto result = run_command({"bash", "-c", "set -euo pipefail; " + command});
  INFO(command << "\n" << result.out << result.err);
  REQUIRE(result.exit_code == 0);
}

} // namespace

TEST_CASE("the test images are built and imported into both engines and the registry", "[.images]")
{
  fs::path dir = test_images_dir();
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string d = dir.string();
  shell(script("busybox_rootfs.sh") + " " + d + "/rootfs");
  shell("tar -C " + d + "/rootfs --numeric-owner --owner=0 --group=0 -cf " + d + "/rootfs.tar .");
  shell(script("docker_archive.sh") + " " + d + "/rootfs " + k_archived_image + " " + d + "/archive.tar > " + d +
        "/archive.id");
  shell(script("docker_archive.sh") + " " + d + "/rootfs mdivicom-test/other:1 " + d +
        "/other-archive.tar '[\"/bin/true\"]' > " + d + "/other-archive.id");
  shell("head -c 100000 " + d + "/archive.tar > " + d + "/truncated-archive.tar");
  // Readable index and config, but the layer is missing: only the engine can tell. (The layer
  // is one no engine has yet, or the engine would not need it.)
  shell("cp -a " + d + "/rootfs " + d + "/rootfs-unique && date +%s%N > " + d + "/rootfs-unique/unique && " +
        script("docker_archive.sh") + " " + d + "/rootfs-unique mdivicom-test/broken:1 " + d + "/broken.tar && " +
        "mkdir " + d + "/broken && tar -C " + d + "/broken -xf " + d + "/broken.tar && rm -r " + d +
        "/broken/*/ && tar -C " + d + "/broken -cf " + d + "/layerless-archive.tar . && rm -r " + d + "/broken " + d +
        "/broken.tar " + d + "/rootfs-unique");

  for (const char* name : {"docker", "podman"}) {
    auto engine = test_engine(name).connect();
    auto id = container::import_rootfs(engine, dir / "rootfs.tar", "mdivicom-test/busybox", "1");
    INFO(name);
    REQUIRE(id.ok());
    auto inspect = container::inspect_image(engine, k_test_image);
    REQUIRE(inspect.ok());
    REQUIRE(inspect->value("Id", "") == *id);
  }

  auto docker = test_engine("docker").connect();
  std::string repo = test_registry() + "/mdivicom-test/pulled";
  REQUIRE(container::tag_image(docker, k_test_image, repo, "1").ok());
  auto pushed = container::push_image(docker, repo, "1");
  INFO((pushed.ok() ? std::string() : pushed.error()));
  REQUIRE(pushed.ok());
  REQUIRE(container::remove_image(docker, repo + ":1").ok());
}
