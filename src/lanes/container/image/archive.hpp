#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/util/error.hpp"

namespace mdivicom::container {

// What an image archive (`docker save` or OCI layout tarball) holds, read without an engine.
struct ArchiveSummary
{
  std::string format;            // "docker-save" or "oci"
  std::string image_id;          // "sha256:<config digest>": the ID engines give the image
  std::vector<std::string> tags; // the names it carries, possibly none
};

// Reads the archive's index (manifest.json or index.json) and finds the image ID. Fails with
// the path and the reason for anything that is not a readable single-image archive, so a bad
// file is caught before it is uploaded.
Result<ArchiveSummary> read_image_archive(const std::filesystem::path& path);

} // namespace mdivicom::container
