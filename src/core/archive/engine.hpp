#pragma once

// The seam between core and libarchive. The implementation (archive_module/libarchive.cpp) is
// built as the module mdivicom-archive.so, loaded on the first archive read or written, so
// that commands which never touch an archive do not pay for loading libarchive, libxml2 and
// ICU.

#include "core/archive/archive.hpp"

namespace mdivicom {

// No exception crosses this seam: mdivicom links its C++ runtime statically and the module
// uses the shared one, and an exception thrown by one copy and caught by the other leaves the
// runtimes' bookkeeping wrong. Each call gives a failure back as its message ("" when it
// worked); archive.cpp throws it as an Error naming the file, as ArchiveReader and
// ArchiveWriter document.
class ArchiveReadBackend
{
public:
  virtual ~ArchiveReadBackend() = default;
  virtual std::string next(std::optional<ArchiveEntryHeader>& header) noexcept = 0;
  virtual std::string read(void* buffer, size_t size, size_t& count) noexcept = 0;
  virtual uint64_t compressed_bytes_read() const noexcept = 0;
};

class ArchiveWriteBackend
{
public:
  virtual ~ArchiveWriteBackend() = default;
  virtual std::string add_directory(const std::string& path, uint32_t mode, int64_t mtime) noexcept = 0;
  virtual std::string add_symlink(const std::string& path, const std::string& target, int64_t mtime) noexcept = 0;
  virtual std::string add_hardlink(const std::string& path, const std::string& target, int64_t mtime,
                                   uint32_t mode) noexcept = 0;
  virtual std::string add_special(const std::string& path, EntryType type, int64_t mtime) noexcept = 0;
  virtual std::string begin_file(const std::string& path, uint64_t size, uint32_t mode, int64_t mtime) noexcept = 0;
  virtual std::string write_data(const void* data, size_t size) noexcept = 0;
  virtual std::string finish() noexcept = 0;
};

// What the module offers, returned by its entry function k_archive_entry: a backend, or null
// with `error` set.
struct ArchiveModule
{
  std::unique_ptr<ArchiveReadBackend> (*open_reader)(const std::filesystem::path& file, ArchiveInput accept,
                                                     std::string& error) noexcept;
  std::unique_ptr<ArchiveWriteBackend> (*open_writer)(const std::filesystem::path& file, ArchiveFormat format,
                                                      std::string& error) noexcept;
};

inline constexpr const char* k_archive_module = "archive";
inline constexpr const char* k_archive_entry = "mdivicom_archive_module";
using ArchiveModuleEntry = const ArchiveModule*();

} // namespace mdivicom
