// Reading image archives without an engine (pure logic: archives written here with core's
// ArchiveWriter).
#include "container/support.hpp"

#include "core/archive/archive.hpp"
#include "core/hash/sha256.hpp"
#include "lanes/container/image/archive.hpp"

namespace fs = std::filesystem;
using namespace mdivicom;
using namespace mdivicom::test;

namespace {

const std::string k_config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";

void add_file(ArchiveWriter& writer, const std::string& path, const std::string& content)
{
  writer.begin_file(path, content.size(), 0644, 0);
  writer.write_data(content.data(), content.size());
}

// A `docker save` layout: manifest.json, the config named after its digest, one layer.
void write_docker_save(const fs::path& file, ArchiveFormat format, bool with_config = true)
{
  std::string config_name = sha256_hex(k_config) + ".json";
  ArchiveWriter writer(file, format);
  add_file(writer, "manifest.json",
           R"([{"Config":")" + config_name + R"(","RepoTags":["tool:1"],"Layers":["layer/layer.tar"]}])");
  if (with_config) {
    add_file(writer, config_name, k_config);
  }
  writer.add_directory("layer", 0755, 0);
  add_file(writer, "layer/layer.tar", std::string(3 * 1024 * 1024, 'x')); // too big to keep: skipped
  writer.finish();
}

} // namespace

TEST_CASE("a docker-save archive, plain or compressed, is read to its image ID and tags", "[container][unit]")
{
  TempDir dir;
  for (ArchiveFormat format : {ArchiveFormat::tar, ArchiveFormat::tar_gz, ArchiveFormat::tar_zst}) {
    fs::path file = dir / ("image." + std::string(to_string(format)));
    write_docker_save(file, format);
    auto summary = container::read_image_archive(file);
    INFO(to_string(format) << ": " << (summary ? "" : summary.error()));
    REQUIRE(summary.ok());
    CHECK(summary->format == "docker-save");
    CHECK(summary->image_id == "sha256:" + sha256_hex(k_config));
    CHECK(summary->tags == std::vector<std::string>{"tool:1"});
  }
}

TEST_CASE("an OCI layout archive is read to the ID of the config its manifest names", "[container][unit]")
{
  TempDir dir;
  std::string config_digest = sha256_hex(k_config);
  std::string manifest = R"({"schemaVersion":2,"config":{"digest":"sha256:)" + config_digest + R"("},"layers":[]})";
  std::string manifest_digest = sha256_hex(manifest);
  fs::path file = dir / "oci.tar";
  {
    ArchiveWriter writer(file, ArchiveFormat::tar);
    add_file(writer, "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    add_file(writer, "index.json",
             R"({"manifests":[{"digest":"sha256:)" + manifest_digest +
                 R"(","annotations":{"org.opencontainers.image.ref.name":"tool:2"}}]})");
    add_file(writer, "./blobs/sha256/" + manifest_digest, manifest);
    add_file(writer, "./blobs/sha256/" + config_digest, k_config);
    writer.finish();
  }
  auto summary = container::read_image_archive(file);
  INFO((summary ? "" : summary.error()));
  REQUIRE(summary.ok());
  CHECK(summary->format == "oci");
  CHECK(summary->image_id == "sha256:" + config_digest);
  CHECK(summary->tags == std::vector<std::string>{"tool:2"});
}

TEST_CASE("image archives that are zips, incomplete or missing their config are refused naming the file",
          "[container][unit]")
{
  TempDir dir;
  fs::path zip = dir / "image.zip";
  write_docker_save(zip, ArchiveFormat::zip);
  fs::path no_config = dir / "no-config.tar";
  write_docker_save(no_config, ArchiveFormat::tar, false);
  fs::path whole = dir / "whole.tar";
  write_docker_save(whole, ArchiveFormat::tar);
  std::string bytes = read_file(whole);
  fs::path truncated = dir / "truncated.tar";
  write_file(truncated, bytes.substr(0, bytes.size() / 2));
  fs::path text = dir / "text.tar";
  write_file(text, "not a tarball\n");

  for (const auto& [file, reason] : std::vector<std::pair<fs::path, std::string>>{
           {zip, "Unrecognized archive format; give a .tar, .tar.gz or .tar.zst file"},
           {no_config, "which the archive does not contain"},
           {truncated, "damaged"},
           {text, "Unrecognized archive format"},
           {dir / "absent.tar", "no such file"}}) {
    auto summary = container::read_image_archive(file);
    REQUIRE_FALSE(summary.ok());
    INFO(summary.error());
    CHECK(summary.error().rfind("image archive " + file.string() + ": ", 0) == 0);
    CHECK(summary.error().find(reason) != std::string::npos);
    CHECK(summary.error().find("rebuild it with 'docker save'") != std::string::npos);
  }
}
