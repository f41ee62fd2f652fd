#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "lanes/container/exposure/dataset_links.hpp"

namespace mdivicom::container {

// A read-only bind is read-only only at its top: the file systems mounted below its source (an
// NFS share or a tmpfs inside the dataset) stay writable in the container, unless the engine
// makes it recursively read-only (Docker from API 1.44 only; Docker 20.10 and Podman 4 do not).
// So the lane mounts each read-only source without what is mounted below it (BindOptions
// NonRecursive) and binds every such mount read-only on its own, at the same place: the
// container sees all of the dataset, and none of it writable, on every engine.

// The mount points strictly below `source`, in `mountinfo` (the text of /proc/self/mountinfo),
// sorted, each once; a parent comes before its children.
std::vector<std::filesystem::path> mounts_below(const std::filesystem::path& source, std::string_view mountinfo);

// For read-only binds (host source -> container path), a read-only bind for each mount below a
// source, from /proc/self/mountinfo. Empty when it cannot be read.
std::vector<LinkBind> submount_binds(const std::vector<LinkBind>& read_only_binds);

} // namespace mdivicom::container
