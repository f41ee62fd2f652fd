#include "core/dataset/archive_extract.hpp"

#include "core/archive/archive.hpp"
#include "core/util/error.hpp"
#include "core/util/format_bytes.hpp"
#include "core/util/interrupt.hpp"
#include "core/util/fs.hpp"
#include "core/util/utf8.hpp"
#include "core/util/tree_walk.hpp"

#include <cerrno>
#include <cstring>
#include <memory>
#include <set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

constexpr size_t k_buffer_size = 1 << 20;

// An archive that cannot be read (not an archive, damaged, truncated) is bad input like a
// refused one: a usage error (exit 2). Failures on the writing side stay exit 1.
template <typename Read>
auto reading(Read read, const char* fix)
{
  try {
    return read();
  } catch (const Error& e) {
    if (e.code() != ExitCode::failed) {
      throw;
    }
    throw usage_error(e.what() + std::string(fix));
  }
}

ArchiveReader open_reader(const fs::path& archive)
{
  return reading([&] { return ArchiveReader(archive); }, "");
}

constexpr const char* k_damaged = " (the dataset archive is damaged or truncated; copy it again)";

// Extracts entry by entry with *at() calls relative to directory descriptors opened with
// O_NOFOLLOW, so no entry can write through a link, whatever order the archive uses.
class Extractor
{
public:
  Extractor(const fs::path& archive, const fs::path& destination, const ExtractLimits& limits)
    : m_archive(archive), m_root(open_root_dir(destination)), m_limits(limits), m_reader(open_reader(archive)),
      m_archive_size(std::max<uint64_t>(1, fs::file_size(archive))),
      m_buffer(std::make_unique_for_overwrite<unsigned char[]>(k_buffer_size))
  {}

  void run()
  {
    uint64_t count = 0;
    while (auto header = reading([&] { return m_reader.next(); }, k_damaged)) {
      if (interrupt_requested()) {
        throw Error("interrupted while extracting " + m_archive.string(), ExitCode::interrupted);
      }
      if (++count > m_limits.max_entries) {
        refuse(header->path, "is past the limit of " + std::to_string(m_limits.max_entries) + " entries (a zip bomb?)");
      }
      std::string path = checked_path(header->path);
      if (path.empty()) {
        continue; // the archive's own root, "./"
      }
      if (!header->hardlink_target.empty()) {
        make_hardlink(path, header->hardlink_target);
      } else if (header->type == EntryType::directory) {
        make_directory(path);
      } else if (header->type == EntryType::symlink) {
        make_symlink(path, header->link_target);
      } else if (header->type == EntryType::file) {
        if (header->size && *header->size > m_limits.max_total_bytes) {
          refuse(path, "declares " + format_bytes(*header->size) + ", past the limit of " +
                           format_bytes(m_limits.max_total_bytes) + " (a zip bomb?)");
        }
        write_file(path, header->mode);
      } else {
        refuse(path, "is a " + std::string(to_string(header->type)) +
                         " entry; a dataset holds only files, directories and links");
      }
    }
  }

private:
  [[noreturn]] void refuse(const std::string& entry, const std::string& why) const
  {
    throw usage_error("refusing dataset archive " + m_archive.string() + ": entry \"" + to_valid_utf8(entry) + "\" " +
                      why + "; if you trust it, unpack it yourself, check it, and pass the directory as --dataset");
  }

  std::string checked_path(const std::string& raw) const
  {
    if (raw.empty()) {
      refuse(raw, "has an empty name");
    }
    if (raw.front() == '/') {
      refuse(raw, "has an absolute path");
    }
    std::string path = raw;
    while (path.starts_with("./")) {
      path.erase(0, 2);
    }
    while (!path.empty() && path.back() == '/') {
      path.pop_back();
    }
    if (path.empty() || path == ".") {
      return {};
    }
    if (path == ".." || path.starts_with("../") || path.ends_with("/..") || path.find("/../") != std::string::npos) {
      refuse(raw, "climbs out of the archive with \"..\"");
    }
    if (!is_clean_relative_path(path)) {
      refuse(raw, "has an empty or \".\" path component");
    }
    return path;
  }

  // Opens (creating as needed) the directory that holds `path`; returns it and the last name.
  std::pair<UniqueFd, std::string> open_parent(const std::string& path) const
  {
    UniqueFd current(::dup(m_root.get()));
    size_t start = 0;
    for (size_t slash; (slash = path.find('/', start)) != std::string::npos; start = slash + 1) {
      std::string part = path.substr(start, slash - start);
      if (::mkdirat(current.get(), part.c_str(), 0755) != 0 && errno != EEXIST) {
        throw Error("cannot extract " + to_valid_utf8(path) + " from " + m_archive.string() + ": " +
                    std::strerror(errno));
      }
      UniqueFd next(::openat(current.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!next) {
        refuse(path, "goes through \"" + to_valid_utf8(path.substr(0, slash)) +
                         "\", which the archive made a link or a file");
      }
      current = std::move(next);
    }
    return {std::move(current), path.substr(start)};
  }

  void make_directory(const std::string& path)
  {
    auto [parent, name] = open_parent(path);
    if (::mkdirat(parent.get(), name.c_str(), 0755) == 0) {
      return;
    }
    struct stat info = {};
    if (errno != EEXIST || ::fstatat(parent.get(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISDIR(info.st_mode)) {
      refuse(path, "is a directory with the name of an earlier entry");
    }
  }

  void make_symlink(const std::string& path, const std::string& target)
  {
    if (!link_stays_inside(path, target)) {
      refuse(path, "is a symbolic link to \"" + to_valid_utf8(target) + "\", which leaves the archive");
    }
    auto [parent, name] = open_parent(path);
    if (::symlinkat(target.c_str(), parent.get(), name.c_str()) != 0) {
      refuse(path, errno == EEXIST ? "appears twice" : std::string("cannot be created: ") + std::strerror(errno));
    }
  }

  void make_hardlink(const std::string& path, const std::string& raw_target)
  {
    std::string target = raw_target;
    while (target.starts_with("./")) {
      target.erase(0, 2);
    }
    if (!is_clean_relative_path(target) || !m_files.contains(target)) {
      refuse(path,
             "is a hard link to \"" + to_valid_utf8(raw_target) + "\", which is not an earlier file of the archive");
    }
    auto [target_parent, target_name] = open_parent(target);
    auto [parent, name] = open_parent(path);
    if (::linkat(target_parent.get(), target_name.c_str(), parent.get(), name.c_str(), 0) != 0) {
      refuse(path, errno == EEXIST ? "appears twice" : std::string("cannot be linked: ") + std::strerror(errno));
    }
    m_files.insert(path);
  }

  void write_file(const std::string& path, uint32_t mode)
  {
    auto [parent, name] = open_parent(path);
    mode_t create_mode = (mode & 0111) != 0 ? 0755 : 0644;
    UniqueFd out(
        ::openat(parent.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, create_mode));
    if (!out) {
      refuse(path, errno == EEXIST ? "appears twice" : std::string("cannot be created: ") + std::strerror(errno));
    }
    for (size_t count;
         (count = reading([&] { return m_reader.read(m_buffer.get(), k_buffer_size); }, k_damaged)) > 0;) {
      m_expanded += count;
      if (m_expanded > m_limits.max_total_bytes) {
        refuse(path, "takes the expanded size past the limit of " + format_bytes(m_limits.max_total_bytes) +
                         " (a zip bomb?)");
      }
      if (m_expanded > m_limits.ratio_floor_bytes &&
          static_cast<double>(m_expanded) > m_limits.max_ratio * static_cast<double>(m_archive_size)) {
        refuse(path, "expands the archive more than " + std::to_string(static_cast<int>(m_limits.max_ratio)) +
                         " times (" + format_bytes(m_expanded) + " from " + format_bytes(m_archive_size) +
                         "; a zip bomb?)");
      }
      for (size_t done = 0; done < count;) {
        ssize_t written = ::write(out.get(), m_buffer.get() + done, count - done);
        if (written < 0 && errno == EINTR) {
          continue;
        }
        if (written < 0) {
          throw Error("cannot extract " + to_valid_utf8(path) + " from " + m_archive.string() + ": " +
                      std::strerror(errno));
        }
        done += static_cast<size_t>(written);
      }
    }
    m_files.insert(path);
  }

  fs::path m_archive;
  UniqueFd m_root;
  ExtractLimits m_limits;
  ArchiveReader m_reader;
  uint64_t m_archive_size;
  uint64_t m_expanded = 0;
  std::set<std::string> m_files;
  std::unique_ptr<unsigned char[]> m_buffer;
};

} // namespace

void extract_archive_safely(const fs::path& archive, const fs::path& destination, const ExtractLimits& limits)
{
  Extractor(archive, destination, limits).run();
}

} // namespace mdivicom
