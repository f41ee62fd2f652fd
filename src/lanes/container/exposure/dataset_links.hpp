#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/util/error.hpp"

namespace mdivicom::container {

// A host directory or file mounted read-only so that dataset links resolve in the container.
struct LinkBind
{
  std::filesystem::path host;
  std::string container;
  // Also holds files no link points to: the targets needed more binds than the limit below.
  bool widened = false;
};

// Past this many binds for the links into one store, the store's directory that holds all of
// their targets is bound instead: each bind is a mount the runtime makes in turn.
constexpr std::size_t k_max_exact_link_binds = 256;

// Datasets made of symlinks (DataLad, git-annex) point outside themselves. For every link of
// dataset_dir, works out where it resolves inside the container (the dataset being mounted at
// container_dataset_dir) and returns read-only binds that make exactly those targets appear
// there: a directory is bound whole only when everything in it is a target, so a dataset cut
// from a larger annex does not show the container the rest of the annex (unless widened, see
// above). A linked directory is bound whole, and the links inside it are followed the same way.
// Fails naming the link for a dangling link, and for a target that would have to be mounted
// over a system or mdivicom path (never hands the container a broken link); fails naming the
// file for a socket, device node or FIFO anywhere the binds show (the dataset with its .git, a
// linked directory, a widened store: special_files.hpp), and for a directory there that cannot
// be listed.
// `taken` lists the container paths already mounted (out, work, config...).
Result<std::vector<LinkBind>> dataset_link_binds(const std::filesystem::path& dataset_dir,
                                                 const std::string& container_dataset_dir,
                                                 const std::vector<std::string>& taken);

// Lexically normalized absolute path in the container ("/data/a/../b" -> "/data/b").
std::string container_normal(const std::string& path);

// True when a container path would hide part of the system, or overlaps a path in `taken`.
// /mdivicom is reserved for the config file unless allow_mdivicom.
bool is_reserved_container_path(const std::string& path, const std::vector<std::string>& taken,
                                bool allow_mdivicom = false);

} // namespace mdivicom::container
