#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/error.hpp"

namespace mdivicom::container {

// A read-only bind stops writes, not use: connect() on a unix socket reaches the host service
// behind it (the engine's docker.sock is root on the host, a gpg-agent or ssh-agent holds
// keys), a device node reaches its device, a FIFO another process. So nothing the container is
// shown may be one: not a dataset link's target, not a file below a bound directory.

// "socket", "FIFO", "block device" or "character device"; "" for every other type.
std::string_view special_kind(std::filesystem::file_type type);

// The entry's own type (a link is a link) from the listing's d_type: no stat() unless the file
// system gives no type. Sets `ec` and returns none when a needed stat() fails.
std::filesystem::file_type listed_type(const std::filesystem::directory_entry& entry, std::error_code& ec);

struct SpecialFile
{
  std::filesystem::path path;
  std::string_view kind; // special_kind()
};

// The first socket, device node or FIFO at or below `root` (a link to it followed, as by the
// engine's bind), walked without following the links below it and across the file systems
// mounted below it (what its bind and the submount binds show). Fails, naming the directory,
// when one cannot be listed: what the container would see there is unknown (a container
// running as root may list what mdivicom cannot).
Result<std::optional<SpecialFile>> find_special_file(const std::filesystem::path& root);

// The failure for a tree below `root` that could not be listed in full, `near` the directory.
std::string unlisted_problem(const std::filesystem::path& root, const std::filesystem::path& near,
                             const std::error_code& ec);

// The refusal for a special file found in what a bind shows; `shown_as` says which bind
// ("the dataset", "the work directory", ...).
std::string special_file_refusal(const SpecialFile& file, const std::string& shown_as);

// For a writable bind's source `dir` (the work or output directory), checked when it exists:
// a socket left in a reused --work directory is reachable like one in the dataset. "" or the
// refusal, naming the file.
std::string writable_bind_problem(const std::filesystem::path& dir, const std::string& shown_as);

} // namespace mdivicom::container
