#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mdivicom {

struct PackSummary
{
  size_t entries = 0;                  // archive entries written (directories included)
  uint64_t file_bytes = 0;             // bytes of file content packed
  size_t hard_links = 0;               // entries stored as a hard link to an earlier name of the same file
  std::vector<std::string> not_packed; // top-level entries of the out dir no record refers to, special files
};

// Writes the outputs and run records of `out_root` into `file` (.tar.gz/.tgz, .tar.zst or .zip,
// by extension), reproducibly: the same names and contents always give the same bytes.
// Packed: ro-crate-metadata.json, everything under _runs/, and the output directory of every
// run record; entries sorted by path (byte order), paths relative to out_root (no top-level
// folder), mtime SOURCE_DATE_EPOCH or 0, owner 0:0 without names, mode 0755 for directories
// and files with an execute bit, else 0644; symbolic links stored as links; gzip without a
// timestamp. Names of one file (hard links among the packed names) are stored once: the first
// name in path order holds the bytes, later ones are tar hard-link entries to it (zip, which
// has no hard links, stores every name in full). So the bytes depend on names, contents and
// which packed names are one file; verify, like the run's inventory, looks at contents only. Written to a temporary
// file beside `file`, then renamed: a failed pack leaves nothing behind. Throws a usage Error for an unknown extension,
// a destination inside out_root, or an out_root without run records; Error when a file cannot be read.
PackSummary pack_outputs(const std::filesystem::path& out_root, const std::filesystem::path& file);

// The extensions `pack` accepts, for messages: ".tar.gz (or .tgz), .tar.zst, .zip".
std::string supported_pack_extensions();

} // namespace mdivicom
