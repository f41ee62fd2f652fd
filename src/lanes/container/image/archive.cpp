#include "lanes/container/image/archive.hpp"

#include "core/json/bounded.hpp"

#include <map>

#include <nlohmann/json.hpp>

#include "core/archive/archive.hpp"
#include "core/hash/sha256.hpp"

namespace mdivicom::container {

namespace {

// Indexes, manifests and configs are small JSON documents; layers are only skipped over.
constexpr uint64_t k_max_kept_size = uint64_t{1} << 20;

std::string normalize(std::string path)
{
  while (path.rfind("./", 0) == 0) {
    path.erase(0, 2);
  }
  return path;
}

// The small JSON members of the tarball by name; layers are skipped without being read.
Result<std::map<std::string, std::string>> read_small_files(const std::filesystem::path& path)
{
  std::map<std::string, std::string> files;
  try {
    ArchiveReader reader(path, ArchiveInput::tar_only);
    while (auto header = reader.next()) {
      std::string name = normalize(header->path);
      bool wanted = name.ends_with(".json") || name.rfind("blobs/", 0) == 0;
      if (!wanted || header->type != EntryType::file || !header->hardlink_target.empty() || !header->size ||
          *header->size > k_max_kept_size) {
        continue;
      }
      std::string content(static_cast<size_t>(*header->size), '\0');
      size_t got = 0;
      while (got < content.size()) {
        size_t count = reader.read(content.data() + got, content.size() - got);
        if (count == 0) {
          return Failure{"the archive ends inside " + name + ": it is truncated"};
        }
        got += count;
      }
      files[name] = std::move(content);
    }
  } catch (const Error& e) {
    return Failure{e.what()};
  }
  return files;
}

nlohmann::json parse(const std::map<std::string, std::string>& files, const std::string& name)
{
  auto it = files.find(name);
  return it == files.end() ? nlohmann::json() : parse_json_bounded(it->second, false);
}

// The engine names an image after the SHA-256 of its config, so that is computed, not trusted.
Result<std::string> config_id(const std::map<std::string, std::string>& files, const std::string& config_path)
{
  auto it = files.find(normalize(config_path));
  if (it == files.end()) {
    return Failure{"its index names the image config " + config_path + ", which the archive does not contain"};
  }
  return "sha256:" + sha256_hex(it->second);
}

Result<ArchiveSummary> docker_save(const std::map<std::string, std::string>& files, const nlohmann::json& manifest)
{
  if (!manifest.is_array() || manifest.empty() || !manifest[0].is_object() || !manifest[0].contains("Config") ||
      !manifest[0]["Config"].is_string()) {
    return Failure{"manifest.json is not a docker-save image list"};
  }
  auto id = config_id(files, manifest[0]["Config"].get<std::string>());
  if (!id) {
    return Failure{id.error()};
  }
  ArchiveSummary summary{.format = "docker-save", .image_id = *id, .tags = {}};
  for (const auto& tag : manifest[0].value("RepoTags", nlohmann::json::array())) {
    if (tag.is_string()) {
      summary.tags.push_back(tag.get<std::string>());
    }
  }
  return summary;
}

std::string blob_path(const std::string& digest)
{
  auto colon = digest.find(':');
  return colon == std::string::npos ? digest : "blobs/" + digest.substr(0, colon) + "/" + digest.substr(colon + 1);
}

Result<ArchiveSummary> oci_layout(const std::map<std::string, std::string>& files, const nlohmann::json& index)
{
  auto manifests = index.value("manifests", nlohmann::json::array());
  if (manifests.empty() || !manifests[0].is_object() || !manifests[0].contains("digest")) {
    return Failure{"index.json lists no image manifest"};
  }
  auto manifest = parse(files, blob_path(manifests[0].value("digest", "")));
  if (!manifest.is_object() || !manifest.contains("config")) {
    return Failure{"the manifest " + manifests[0].value("digest", "") +
                   " named by index.json is missing or not an "
                   "image manifest"};
  }
  auto id = config_id(files, blob_path(manifest["config"].value("digest", "")));
  if (!id) {
    return Failure{id.error()};
  }
  ArchiveSummary summary{.format = "oci", .image_id = *id, .tags = {}};
  auto annotations = manifests[0].value("annotations", nlohmann::json::object());
  for (const char* key : {"io.containerd.image.name", "org.opencontainers.image.ref.name"}) {
    if (annotations.contains(key) && annotations[key].is_string()) {
      summary.tags.push_back(annotations[key].get<std::string>());
    }
  }
  return summary;
}

} // namespace

Result<ArchiveSummary> read_image_archive(const std::filesystem::path& path)
{
  auto fail = [&](const std::string& why) -> Result<ArchiveSummary> {
    return Failure{"image archive " + path.string() + ": " + why +
                   "; rebuild it with 'docker save' or 'podman save' (or fix image_archive in the manifest)"};
  };
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return fail("no such file");
  }
  auto files = read_small_files(path);
  if (!files) {
    return fail(files.error());
  }
  auto manifest = parse(*files, "manifest.json");
  if (!manifest.is_null()) {
    auto summary = docker_save(*files, manifest);
    return summary ? summary : fail(summary.error());
  }
  auto index = parse(*files, "index.json");
  if (index.is_object()) {
    auto summary = oci_layout(*files, index);
    return summary ? summary : fail(summary.error());
  }
  return fail("neither manifest.json (docker save) nor index.json (OCI layout) found");
}

} // namespace mdivicom::container
