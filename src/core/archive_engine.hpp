#pragma once

// The seam between core and libarchive. The implementation (archive_module/libarchive.cpp) is
// built as the module mdivicom-archive.so, loaded on the first archive read or written, so
// that commands which never touch an archive do not pay for loading libarchive, libxml2 and
// ICU.

#include "core/archive.hpp"

namespace mdivicom {

class ArchiveReadBackend
{
public:
  virtual ~ArchiveReadBackend() = default;
  virtual std::optional<ArchiveEntryHeader> next() = 0;
  virtual size_t read(void* buffer, size_t size) = 0;
  virtual uint64_t compressed_bytes_read() const = 0;
};

class ArchiveWriteBackend
{
public:
  virtual ~ArchiveWriteBackend() = default;
  virtual void add_directory(const std::string& path, uint32_t mode, int64_t mtime) = 0;
  virtual void add_symlink(const std::string& path, const std::string& target, int64_t mtime) = 0;
  virtual void add_hardlink(const std::string& path, const std::string& target, int64_t mtime, uint32_t mode) = 0;
  virtual void add_special(const std::string& path, EntryType type, int64_t mtime) = 0;
  virtual void begin_file(const std::string& path, uint64_t size, uint32_t mode, int64_t mtime) = 0;
  virtual void write_data(const void* data, size_t size) = 0;
  virtual void finish() = 0;
};

// What the module offers, returned by its entry function k_archive_entry. Both throw Error
// naming the file, as ArchiveReader and ArchiveWriter document.
struct ArchiveModule
{
  std::unique_ptr<ArchiveReadBackend> (*open_reader)(const std::filesystem::path& file, ArchiveInput accept);
  std::unique_ptr<ArchiveWriteBackend> (*open_writer)(const std::filesystem::path& file, ArchiveFormat format);
};

inline constexpr const char* k_archive_module = "archive";
inline constexpr const char* k_archive_entry = "mdivicom_archive_module";
using ArchiveModuleEntry = const ArchiveModule*();

} // namespace mdivicom
