#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/tree_walk.hpp"

namespace mdivicom {

// Reading and writing archives. <archive.h> appears only in archive_module/libarchive.cpp,
// loaded on first use (archive_engine.hpp).

class ArchiveReadBackend;
class ArchiveWriteBackend;

enum class ArchiveFormat { tar, tar_gz, tar_zst, zip };

// By file name: .tar, .tar.gz / .tgz, .tar.zst / .tzst, .zip (case-insensitive).
std::optional<ArchiveFormat> archive_format_from_name(const std::filesystem::path& file);
std::string_view to_string(ArchiveFormat format);

struct ArchiveEntryHeader
{
  std::string path; // exactly as stored (may be absolute or hold ".." in hostile archives)
  EntryType type = EntryType::unknown;
  std::string link_target;      // symlinks: the link text
  std::string hardlink_target;  // hard links: the earlier entry they name (type is then file)
  std::optional<uint64_t> size; // as declared by the header, when it declares one
  uint32_t mode = 0;            // permission bits
};

// What a reader accepts: datasets come as tar or zip; image archives are always tarballs.
enum class ArchiveInput { tar_or_zip, tar_only };

// Reads tar (plain, gzip, zstd) and zip archives, one entry at a time, streaming.
class ArchiveReader
{
public:
  // Throws Error naming the file when it cannot be opened or is not a supported archive.
  explicit ArchiveReader(const std::filesystem::path& file, ArchiveInput accept = ArchiveInput::tar_or_zip);
  ~ArchiveReader();
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  // The next entry's header, or nullopt at the end. Throws Error on damaged data.
  std::optional<ArchiveEntryHeader> next();
  // Reads the current entry's data; returns 0 at its end. Throws Error on damaged data.
  size_t read(void* buffer, size_t size);
  // Bytes consumed from the archive file so far (compressed), for expansion-ratio checks.
  uint64_t compressed_bytes_read() const;

private:
  std::unique_ptr<ArchiveReadBackend> m_backend;
};

// Writes an archive entry by entry. Metadata is exactly what the caller gives: owner 0:0 with
// no user or group names, the given mode and mtime, nothing else (no atime, ctime, pax
// extras beyond what long or non-ASCII names need), so equal input gives equal bytes.
// Callers normalize and validate paths; the writer stores them as given (tests use this to
// build hostile archives).
class ArchiveWriter
{
public:
  ArchiveWriter(const std::filesystem::path& file, ArchiveFormat format);
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  void add_directory(const std::string& path, uint32_t mode, int64_t mtime);
  void add_symlink(const std::string& path, const std::string& target, int64_t mtime);
  // A later name of the file `target` (an earlier entry); `mode` is the target's (tar readers
  // show it; extraction takes the target's). Not for zip, which has no hard links.
  void add_hardlink(const std::string& path, const std::string& target, int64_t mtime, uint32_t mode = 0644);
  void add_special(const std::string& path, EntryType type, int64_t mtime); // fifo, devices
  // A regular file: begin_file, then exactly `size` bytes through write_data.
  void begin_file(const std::string& path, uint64_t size, uint32_t mode, int64_t mtime);
  void write_data(const void* data, size_t size);
  // Completes the archive; without it the file is left incomplete (the caller discards it).
  void finish();

private:
  std::unique_ptr<ArchiveWriteBackend> m_backend;
};

} // namespace mdivicom
