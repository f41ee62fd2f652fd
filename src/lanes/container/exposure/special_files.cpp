#include "lanes/container/exposure/special_files.hpp"

namespace mdivicom::container {

namespace fs = std::filesystem;

std::string_view special_kind(fs::file_type type)
{
  switch (type) {
  case fs::file_type::socket: return "socket";
  case fs::file_type::fifo: return "FIFO";
  case fs::file_type::block: return "block device";
  case fs::file_type::character: return "character device";
  default: return "";
  }
}

fs::file_type listed_type(const fs::directory_entry& entry, std::error_code& ec)
{
  // Each test reads the type cached from d_type; only an entry without one is stat()ed.
  if (entry.is_symlink(ec)) {
    return fs::file_type::symlink;
  }
  if (ec) {
    return fs::file_type::none;
  }
  if (entry.is_regular_file(ec)) {
    return fs::file_type::regular;
  }
  if (entry.is_directory(ec)) {
    return fs::file_type::directory;
  }
  return ec ? fs::file_type::none : entry.symlink_status(ec).type();
}

std::string unlisted_problem(const fs::path& root, const fs::path& near, const std::error_code& ec)
{
  return "cannot list everything below " + root.string() + " (near " + near.string() + ": " + ec.message() +
         "), so mdivicom cannot tell whether a container would be shown a socket or device there; make it "
         "readable to you or move it out of the way";
}

Result<std::optional<SpecialFile>> find_special_file(const fs::path& root)
{
  std::error_code ec;
  const auto root_type = fs::status(root, ec).type(); // the engine binds what a linked root points to
  if (ec) {
    return Failure{"cannot read " + root.string() + ": " + ec.message()};
  }
  if (auto kind = special_kind(root_type); !kind.empty()) {
    return std::optional<SpecialFile>(SpecialFile{root, kind});
  }
  if (root_type != fs::file_type::directory) {
    return std::optional<SpecialFile>();
  }
  fs::path last = root; // the directory a failed step most likely tried to open
  fs::recursive_directory_iterator it(root, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const auto type = listed_type(*it, ec);
    if (ec) {
      return Failure{"cannot read " + it->path().string() + ": " + ec.message()};
    }
    if (auto kind = special_kind(type); !kind.empty()) {
      return std::optional<SpecialFile>(SpecialFile{it->path(), kind});
    }
    if (type == fs::file_type::directory) {
      last = it->path();
    }
  }
  if (ec) {
    return Failure{unlisted_problem(root, last, ec)};
  }
  return std::optional<SpecialFile>();
}

std::string special_file_refusal(const SpecialFile& file, const std::string& shown_as)
{
  return std::string(file.kind) + " " + file.path.string() + " lies in " + shown_as +
         ", which mdivicom would bind into the container; a read-only bind does not stop a socket, device or FIFO "
         "from being used (connect() on an engine's or an agent's socket reaches the host): remove it, or move it "
         "out of what the container is shown";
}

std::string writable_bind_problem(const fs::path& dir, const std::string& shown_as)
{
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    return {};
  }
  auto special = find_special_file(dir);
  if (!special) {
    return special.error();
  }
  return *special ? special_file_refusal(**special, shown_as + " " + dir.string()) : std::string();
}

} // namespace mdivicom::container
