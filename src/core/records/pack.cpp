#include "core/records/pack.hpp"

#include "core/archive/archive.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/records/scan.hpp"
#include "core/util/text_bytes.hpp"
#include "core/util/tree_walk.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

// What to do about a file that cannot be read, by the reason.
std::string fix_for(int error)
{
  if (error == ENAMETOOLONG) {
    return " (its path is longer than the system's limit of " + std::to_string(PATH_MAX) +
           " bytes); shorten or move up its directories and pack again";
  }
  if (error == EACCES || error == EPERM) {
    return "; fix its permissions and pack again";
  }
  return "; pack again";
}

constexpr size_t k_buffer_size = 1 << 20;

// SOURCE_DATE_EPOCH (reproducible-builds.org) when set to a plain non-negative integer, else 0.
int64_t pack_mtime()
{
  const char* text = std::getenv("SOURCE_DATE_EPOCH");
  int64_t value = 0;
  if (text != nullptr && *text != '\0') {
    auto [end, error] = std::from_chars(text, text + std::strlen(text), value);
    if (error != std::errc() || *end != '\0' || value < 0) {
      throw usage_error(std::string("SOURCE_DATE_EPOCH=") + text + " is not a number of seconds; unset it or give one");
    }
  }
  return value;
}

// Which top-level names of out_root are packed: _runs, the crate, and every record's outputs.
std::set<std::string> packed_roots(const fs::path& out_root, std::vector<std::string>& not_packed)
{
  std::vector<RecordFile> records = scan_run_records(out_root);
  if (records.empty()) {
    throw usage_error("nothing to pack: " + out_root.string() +
                      " has no run records (_runs/<run_id>.json); give the --out directory of a run");
  }
  std::set<std::string> roots{"_runs"};
  if (fs::is_regular_file(fs::symlink_status(out_root / "ro-crate-metadata.json"))) {
    roots.insert("ro-crate-metadata.json");
  }
  for (const auto& file : records) {
    if (!file.error.empty()) {
      continue; // packed as a file under _runs all the same; verify reports it
    }
    auto root = record_outputs_root(file.record);
    if (root && fs::is_directory(fs::symlink_status(out_root / *root))) {
      roots.insert(*root);
    }
  }
  std::error_code error;
  for (fs::directory_iterator it(out_root, error); !error && it != fs::directory_iterator(); it.increment(error)) {
    std::string name = it->path().filename().string();
    bool covered = std::any_of(roots.begin(), roots.end(),
                               [&](const std::string& root) { return root == name || root.starts_with(name + "/"); });
    if (!covered) {
      not_packed.push_back(printable(name) + " (no run record refers to it)");
    }
  }
  return roots;
}

// Everything to pack, keyed (and so sorted) by archive path.
std::map<std::string, TreeEntry> collect_entries(const fs::path& out_root, const std::set<std::string>& roots,
                                                 std::vector<std::string>& not_packed)
{
  std::map<std::string, TreeEntry> entries;
  auto add_directory = [&](const std::string& path) {
    TreeEntry entry;
    entry.path = path;
    entry.type = EntryType::directory;
    entries.emplace(path, entry);
  };
  for (const std::string& root : roots) {
    for (size_t slash = root.find('/'); slash != std::string::npos; slash = root.find('/', slash + 1)) {
      add_directory(root.substr(0, slash));
    }
    struct stat info = {};
    if (::lstat((out_root / root).c_str(), &info) != 0) {
      continue;
    }
    if (!S_ISDIR(info.st_mode)) {
      TreeEntry entry;
      entry.path = root;
      entry.type = entry_type_from_mode(info.st_mode);
      entry.size = static_cast<uint64_t>(info.st_size);
      entry.mode = info.st_mode & 07777;
      entry.device = info.st_dev;
      entry.inode = info.st_ino;
      if (entry.type == EntryType::symlink) {
        std::error_code ignored;
        entry.link_target = fs::read_symlink(out_root / root, ignored).string();
      }
      entries.emplace(root, entry);
      continue;
    }
    add_directory(root);
    for (TreeEntry& entry : walk_tree(out_root / root)) {
      if (!entry.error.empty()) {
        bool too_long = entry.error.find(std::strerror(ENAMETOOLONG)) != std::string::npos;
        throw Error("cannot pack " + (out_root / root / entry.path).string() + ": " + entry.error +
                    fix_for(too_long ? ENAMETOOLONG : EACCES));
      }
      entry.path = root + "/" + entry.path;
      std::string key = entry.path;
      entries.emplace(std::move(key), std::move(entry));
    }
  }
  for (auto it = entries.begin(); it != entries.end();) {
    EntryType type = it->second.type;
    // _runs/.<id>.reserve: space kept free for the next final record (run_record.hpp), not data.
    if (it->first.starts_with("_runs/.") && it->first.ends_with(".reserve") &&
        it->first.find('/', 6) == std::string::npos) {
      it = entries.erase(it);
      continue;
    }
    if (type != EntryType::file && type != EntryType::directory && type != EntryType::symlink) {
      not_packed.push_back(printable(it->first) + " (a " + std::string(to_string(type)) +
                           ", which archives do not carry)");
      it = entries.erase(it);
    } else {
      ++it;
    }
  }
  return entries;
}

// One name of a regular file, opened for packing.
struct OpenedFile
{
  UniqueFd fd;
  struct stat info = {};
};

OpenedFile open_packed_file(int root_fd, const fs::path& out_root, const TreeEntry& entry)
{
  OpenedFile file;
  file.fd = UniqueFd(open_below(root_fd, entry.path, false, O_RDONLY | O_NONBLOCK | O_NOCTTY));
  if (!file.fd || ::fstat(file.fd.get(), &file.info) != 0) {
    int error = errno;
    throw Error("cannot pack " + (out_root / entry.path).string() + ": " + std::strerror(error) + fix_for(error));
  }
  if (!S_ISREG(file.info.st_mode)) {
    throw Error("cannot pack " + (out_root / entry.path).string() + ": it changed while packing; pack again");
  }
  return file;
}

uint32_t packed_mode(const struct stat& info)
{
  return (info.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0 ? 0755 : 0644;
}

void copy_file_into(ArchiveWriter& writer, const OpenedFile& file, const fs::path& out_root, const TreeEntry& entry,
                    int64_t mtime, unsigned char* buffer)
{
  uint64_t size = static_cast<uint64_t>(file.info.st_size);
  writer.begin_file(entry.path, size, packed_mode(file.info), mtime);
  uint64_t left = size;
  while (left > 0) {
    ssize_t count = ::read(file.fd.get(), buffer, std::min<uint64_t>(left, k_buffer_size));
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count <= 0) {
      throw Error("cannot pack " + (out_root / entry.path).string() + ": " +
                  (count < 0 ? std::string(std::strerror(errno)) : "it shrank while packing; pack again"));
    }
    writer.write_data(buffer, static_cast<size_t>(count));
    left -= static_cast<uint64_t>(count);
  }
}

// The first packed name (in path order) of each file that has several, by device and inode.
struct LinkedFile
{
  std::string path;
  uint32_t mode = 0;
};
using FirstNames = std::map<std::pair<uint64_t, uint64_t>, LinkedFile>;

// Removes the temporary archive unless the pack completed.
class TempFileGuard
{
public:
  explicit TempFileGuard(fs::path path) : m_path(std::move(path)) {}
  ~TempFileGuard()
  {
    if (!m_path.empty()) {
      std::error_code ignored;
      fs::remove(m_path, ignored);
    }
  }
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  void release() { m_path.clear(); }

private:
  fs::path m_path;
};

} // namespace

std::string supported_pack_extensions()
{
  return ".tar.gz (or .tgz), .tar.zst, .zip";
}

PackSummary pack_outputs(const fs::path& out_root, const fs::path& file)
{
  auto format = archive_format_from_name(file);
  if (!format || *format == ArchiveFormat::tar) {
    throw usage_error("cannot pack into " + file.string() + ": unknown archive type; use one of " +
                      supported_pack_extensions());
  }
  if (!fs::is_directory(out_root)) {
    throw usage_error("cannot pack " + out_root.string() + ": not a directory; give the --out directory of a run");
  }
  if (is_same_or_within(file, out_root)) {
    throw usage_error("refusing to write the pack " + file.string() + " inside the directory being packed (" +
                      out_root.string() + "); write it elsewhere");
  }
  const int64_t mtime = pack_mtime();
  PackSummary summary;
  std::set<std::string> roots = packed_roots(out_root, summary.not_packed);
  std::map<std::string, TreeEntry> entries = collect_entries(out_root, roots, summary.not_packed);
  for (const auto& item : summary.not_packed) {
    spdlog::warn("not packed: {}", item);
  }

  const fs::path temp = temp_path_beside(file);
  TempFileGuard guard(temp);
  {
    UniqueFd root_fd = open_root_dir(out_root);
    auto buffer = std::make_unique_for_overwrite<unsigned char[]>(k_buffer_size);
    ArchiveWriter writer(temp, *format);
    // Zip has no hard links: there every name holds its bytes.
    const bool linkable = *format != ArchiveFormat::zip;
    FirstNames first_names;
    for (const auto& [path, entry] : entries) {
      if (entry.type == EntryType::directory) {
        writer.add_directory(path, 0755, mtime);
      } else if (entry.type == EntryType::symlink) {
        writer.add_symlink(path, entry.link_target, mtime);
      } else {
        OpenedFile opened = open_packed_file(root_fd.get(), out_root, entry);
        // Identity taken from the open file, so a link always names the inode whose bytes were packed.
        const std::pair<uint64_t, uint64_t> identity{opened.info.st_dev, opened.info.st_ino};
        auto first = linkable && opened.info.st_nlink > 1 ? first_names.find(identity) : first_names.end();
        if (first != first_names.end()) {
          writer.add_hardlink(path, first->second.path, mtime, first->second.mode);
          ++summary.hard_links;
        } else {
          copy_file_into(writer, opened, out_root, entry, mtime, buffer.get());
          summary.file_bytes += static_cast<uint64_t>(opened.info.st_size);
          if (linkable && opened.info.st_nlink > 1) {
            first_names.emplace(identity, LinkedFile{path, packed_mode(opened.info)});
          }
        }
      }
      ++summary.entries;
    }
    writer.finish();
  }
  UniqueFd written(::open(temp.c_str(), O_RDONLY | O_CLOEXEC));
  if (!written || ::fsync(written.get()) != 0 || ::rename(temp.c_str(), file.c_str()) != 0) {
    throw Error("cannot write " + file.string() + ": " + std::strerror(errno));
  }
  guard.release();
  return summary;
}

} // namespace mdivicom
