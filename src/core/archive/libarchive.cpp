// The only file that includes <archive.h>. Built as the module mdivicom-archive.so (see
// archive_engine.hpp).
#include "core/archive/engine.hpp"

#include "core/util/error.hpp"
#include "core/util/module_boundary.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>

#include <archive.h>
#include <archive_entry.h>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

struct ReadFree
{
  void operator()(archive* handle) const { archive_read_free(handle); }
};
struct WriteFree
{
  // archive_write_free closes the archive first, but not one in the FATAL state (after a failed
  // header or write): its file descriptor and buffers would leak. Closing it here frees them;
  // for any other state this is the close archive_write_free would do anyway.
  void operator()(archive* handle) const
  {
    archive_write_close(handle);
    archive_write_free(handle);
  }
};
struct EntryFree
{
  void operator()(archive_entry* entry) const { archive_entry_free(entry); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryFree>;

// Zip stores MS-DOS times, which libarchive derives with localtime(): the same archive would
// differ between time zones. While a zip is being written the process runs on UTC (pack is
// single-threaded and writes one archive at a time).
class UtcScope
{
public:
  UtcScope()
  {
    const char* tz = std::getenv("TZ");
    m_had_tz = tz != nullptr;
    m_saved = tz != nullptr ? tz : "";
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  ~UtcScope()
  {
    if (m_had_tz) {
      ::setenv("TZ", m_saved.c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  UtcScope(const UtcScope&) = delete;
  UtcScope& operator=(const UtcScope&) = delete;

private:
  bool m_had_tz = false;
  std::string m_saved;
};

std::string error_text(archive* handle)
{
  const char* text = archive_error_string(handle);
  return text != nullptr ? text : "unknown libarchive error";
}

// The module links nothing of core's, so it maps libarchive's file types itself.
EntryType entry_type_of(unsigned int filetype)
{
  switch (filetype) {
  case AE_IFREG: return EntryType::file;
  case AE_IFDIR: return EntryType::directory;
  case AE_IFLNK: return EntryType::symlink;
  case AE_IFIFO: return EntryType::fifo;
  case AE_IFSOCK: return EntryType::socket;
  case AE_IFCHR: return EntryType::char_device;
  case AE_IFBLK: return EntryType::block_device;
  default: return EntryType::unknown;
  }
}

unsigned int filetype_of(EntryType type)
{
  switch (type) {
  case EntryType::file: return AE_IFREG;
  case EntryType::directory: return AE_IFDIR;
  case EntryType::symlink: return AE_IFLNK;
  case EntryType::fifo: return AE_IFIFO;
  case EntryType::socket: return AE_IFSOCK;
  case EntryType::char_device: return AE_IFCHR;
  case EntryType::block_device: return AE_IFBLK;
  case EntryType::unknown: break;
  }
  return AE_IFREG;
}

} // namespace

struct ReaderImpl
{
  fs::path file;
  std::unique_ptr<archive, ReadFree> handle{archive_read_new()};
  std::string current;
  bool started = false; // a header was read: later failures are damage, not the wrong format
  ArchiveInput accept = ArchiveInput::tar_or_zip;

  std::string formats() const
  {
    return accept == ArchiveInput::tar_only ? "a .tar, .tar.gz or .tar.zst file"
                                            : "a .zip, .tar, .tar.gz or .tar.zst file";
  }
};

// Throws Error; GuardedReader below turns that into the boundary's messages.
class LibarchiveReader
{
public:
  LibarchiveReader(const fs::path& file, ArchiveInput accept);
  std::optional<ArchiveEntryHeader> next();
  size_t read(void* buffer, size_t size);
  uint64_t compressed_bytes_read() const;

private:
  std::unique_ptr<ReaderImpl> m_impl;
};

LibarchiveReader::LibarchiveReader(const fs::path& file, ArchiveInput accept) : m_impl(std::make_unique<ReaderImpl>())
{
  m_impl->file = file;
  m_impl->accept = accept;
  archive* handle = m_impl->handle.get();
  if (handle == nullptr) {
    throw Error("out of memory opening " + file.string());
  }
  // Only what we write and accept: no exotic formats reachable from hostile input.
  archive_read_support_filter_gzip(handle);
  archive_read_support_filter_zstd(handle);
  archive_read_support_format_tar(handle);
  if (accept == ArchiveInput::tar_or_zip) {
    archive_read_support_format_zip(handle);
  }
  if (archive_read_open_filename(handle, file.c_str(), 1 << 16) != ARCHIVE_OK) {
    throw Error("cannot read archive " + file.string() + ": " + error_text(handle) + "; give " + m_impl->formats());
  }
}

std::optional<ArchiveEntryHeader> LibarchiveReader::next()
{
  archive* handle = m_impl->handle.get();
  archive_entry* entry = nullptr;
  int status = archive_read_next_header(handle, &entry);
  if (status == ARCHIVE_EOF) {
    return std::nullopt;
  }
  if (status < ARCHIVE_WARN && !m_impl->started) {
    throw Error(m_impl->file.string() + " is not a readable archive (" + error_text(handle) + "); give " +
                m_impl->formats());
  }
  if (status < ARCHIVE_WARN) {
    throw Error("archive " + m_impl->file.string() + " is damaged after entry \"" + m_impl->current +
                "\": " + error_text(handle));
  }
  m_impl->started = true;
  ArchiveEntryHeader header;
  const char* path = archive_entry_pathname(entry);
  if (path == nullptr) {
    path = archive_entry_pathname_utf8(entry);
  }
  header.path = path != nullptr ? path : "";
  header.type = entry_type_of(archive_entry_filetype(entry));
  if (const char* link = archive_entry_hardlink(entry); link != nullptr) {
    header.hardlink_target = link;
    header.type = EntryType::file;
  }
  if (const char* link = archive_entry_symlink(entry); link != nullptr && header.type == EntryType::symlink) {
    header.link_target = link;
  }
  if (archive_entry_size_is_set(entry) != 0 && archive_entry_size(entry) >= 0) {
    header.size = static_cast<uint64_t>(archive_entry_size(entry));
  }
  header.mode = archive_entry_perm(entry);
  m_impl->current = header.path;
  return header;
}

size_t LibarchiveReader::read(void* buffer, size_t size)
{
  la_ssize_t count = archive_read_data(m_impl->handle.get(), buffer, size);
  if (count < 0) {
    throw Error("archive " + m_impl->file.string() + ": cannot read entry \"" + m_impl->current +
                "\": " + error_text(m_impl->handle.get()));
  }
  return static_cast<size_t>(count);
}

uint64_t LibarchiveReader::compressed_bytes_read() const
{
  la_int64_t bytes = archive_filter_bytes(m_impl->handle.get(), -1);
  return bytes > 0 ? static_cast<uint64_t>(bytes) : 0;
}

struct WriterImpl
{
  std::optional<UtcScope> utc; // declared first: restored last
  fs::path file;
  std::unique_ptr<archive, WriteFree> handle{archive_write_new()};

  void check(int status, const std::string& what)
  {
    if (status < ARCHIVE_WARN) {
      throw Error("cannot write " + file.string() + " (" + what + "): " + error_text(handle.get()));
    }
  }

  EntryPtr new_entry(const std::string& path, unsigned int filetype, uint32_t mode, int64_t mtime)
  {
    EntryPtr entry(archive_entry_new());
    if (!entry) {
      throw Error("out of memory writing " + file.string());
    }
    archive_entry_set_pathname(entry.get(), path.c_str());
    archive_entry_set_filetype(entry.get(), filetype);
    archive_entry_set_perm(entry.get(), mode & 07777);
    archive_entry_set_mtime(entry.get(), static_cast<time_t>(mtime), 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    return entry;
  }

  void write_header(archive_entry* entry, const std::string& path)
  {
    check(archive_write_header(handle.get(), entry), "entry " + path);
  }
};

// Throws Error; GuardedWriter below turns that into the boundary's messages.
class LibarchiveWriter
{
public:
  LibarchiveWriter(const fs::path& file, ArchiveFormat format);
  void add_directory(const std::string& path, uint32_t mode, int64_t mtime);
  void add_symlink(const std::string& path, const std::string& target, int64_t mtime);
  void add_hardlink(const std::string& path, const std::string& target, int64_t mtime, uint32_t mode);
  void add_special(const std::string& path, EntryType type, int64_t mtime);
  void begin_file(const std::string& path, uint64_t size, uint32_t mode, int64_t mtime);
  void write_data(const void* data, size_t size);
  void finish();

private:
  std::unique_ptr<WriterImpl> m_impl;
};

LibarchiveWriter::LibarchiveWriter(const fs::path& file, ArchiveFormat format) : m_impl(std::make_unique<WriterImpl>())
{
  m_impl->file = file;
  archive* handle = m_impl->handle.get();
  if (handle == nullptr) {
    throw Error("out of memory writing " + file.string());
  }
  if (format == ArchiveFormat::zip) {
    m_impl->utc.emplace();
    m_impl->check(archive_write_set_format_zip(handle), "zip format");
  } else {
    // pax only where ustar cannot hold a name; names are stored as raw bytes whatever the
    // locale, so the bytes do not depend on the environment.
    m_impl->check(archive_write_set_format_pax_restricted(handle), "tar format");
    m_impl->check(archive_write_set_format_option(handle, "pax", "hdrcharset", "BINARY"), "tar names");
  }
  if (format == ArchiveFormat::tar_gz) {
    m_impl->check(archive_write_add_filter_gzip(handle), "gzip");
    // gzip headers carry a timestamp unless told not to.
    m_impl->check(archive_write_set_filter_option(handle, "gzip", "timestamp", nullptr), "gzip timestamp");
  } else if (format == ArchiveFormat::tar_zst) {
    m_impl->check(archive_write_add_filter_zstd(handle), "zstd");
  }
  if (archive_write_open_filename(handle, file.c_str()) != ARCHIVE_OK) {
    throw Error("cannot write " + file.string() + ": " + error_text(handle));
  }
}

void LibarchiveWriter::add_directory(const std::string& path, uint32_t mode, int64_t mtime)
{
  EntryPtr entry = m_impl->new_entry(path, AE_IFDIR, mode, mtime);
  m_impl->write_header(entry.get(), path);
}

void LibarchiveWriter::add_symlink(const std::string& path, const std::string& target, int64_t mtime)
{
  EntryPtr entry = m_impl->new_entry(path, AE_IFLNK, 0777, mtime);
  archive_entry_set_symlink(entry.get(), target.c_str());
  m_impl->write_header(entry.get(), path);
}

void LibarchiveWriter::add_hardlink(const std::string& path, const std::string& target, int64_t mtime, uint32_t mode)
{
  EntryPtr entry = m_impl->new_entry(path, AE_IFREG, mode, mtime);
  archive_entry_set_hardlink(entry.get(), target.c_str());
  archive_entry_set_size(entry.get(), 0);
  m_impl->write_header(entry.get(), path);
}

void LibarchiveWriter::add_special(const std::string& path, EntryType type, int64_t mtime)
{
  EntryPtr entry = m_impl->new_entry(path, filetype_of(type), 0644, mtime);
  m_impl->write_header(entry.get(), path);
}

void LibarchiveWriter::begin_file(const std::string& path, uint64_t size, uint32_t mode, int64_t mtime)
{
  EntryPtr entry = m_impl->new_entry(path, AE_IFREG, mode, mtime);
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
  m_impl->write_header(entry.get(), path);
}

void LibarchiveWriter::write_data(const void* data, size_t size)
{
  la_ssize_t written = archive_write_data(m_impl->handle.get(), data, size);
  if (written < 0 || static_cast<size_t>(written) != size) {
    throw Error("cannot write " + m_impl->file.string() + ": " + error_text(m_impl->handle.get()));
  }
}

void LibarchiveWriter::finish()
{
  m_impl->check(archive_write_close(m_impl->handle.get()), "finishing");
}

constexpr const char* k_failed = "libarchive failed";

// The boundary (archive_engine.hpp): what LibarchiveReader/Writer throw, as messages.
class GuardedReader : public ArchiveReadBackend
{
public:
  GuardedReader(const fs::path& file, ArchiveInput accept) : m_reader(file, accept) {}
  std::string next(std::optional<ArchiveEntryHeader>& header) noexcept override
  {
    return message_of([&] { header = m_reader.next(); }, k_failed);
  }
  std::string read(void* buffer, size_t size, size_t& count) noexcept override
  {
    return message_of([&] { count = m_reader.read(buffer, size); }, k_failed);
  }
  uint64_t compressed_bytes_read() const noexcept override { return m_reader.compressed_bytes_read(); }

private:
  LibarchiveReader m_reader;
};

class GuardedWriter : public ArchiveWriteBackend
{
public:
  GuardedWriter(const fs::path& file, ArchiveFormat format) : m_writer(file, format) {}
  std::string add_directory(const std::string& path, uint32_t mode, int64_t mtime) noexcept override
  {
    return message_of([&] { m_writer.add_directory(path, mode, mtime); }, k_failed);
  }
  std::string add_symlink(const std::string& path, const std::string& target, int64_t mtime) noexcept override
  {
    return message_of([&] { m_writer.add_symlink(path, target, mtime); }, k_failed);
  }
  std::string add_hardlink(const std::string& path, const std::string& target, int64_t mtime,
                           uint32_t mode) noexcept override
  {
    return message_of([&] { m_writer.add_hardlink(path, target, mtime, mode); }, k_failed);
  }
  std::string add_special(const std::string& path, EntryType type, int64_t mtime) noexcept override
  {
    return message_of([&] { m_writer.add_special(path, type, mtime); }, k_failed);
  }
  std::string begin_file(const std::string& path, uint64_t size, uint32_t mode, int64_t mtime) noexcept override
  {
    return message_of([&] { m_writer.begin_file(path, size, mode, mtime); }, k_failed);
  }
  std::string write_data(const void* data, size_t size) noexcept override
  {
    return message_of([&] { m_writer.write_data(data, size); }, k_failed);
  }
  std::string finish() noexcept override
  {
    return message_of([&] { m_writer.finish(); }, k_failed);
  }

private:
  LibarchiveWriter m_writer;
};

const ArchiveModule k_module = {
    [](const fs::path& file, ArchiveInput accept, std::string& error) noexcept -> std::unique_ptr<ArchiveReadBackend> {
      std::unique_ptr<ArchiveReadBackend> reader;
      error = message_of([&] { reader = std::make_unique<GuardedReader>(file, accept); }, k_failed);
      return reader;
    },
    [](const fs::path& file, ArchiveFormat format,
       std::string& error) noexcept -> std::unique_ptr<ArchiveWriteBackend> {
      std::unique_ptr<ArchiveWriteBackend> writer;
      error = message_of([&] { writer = std::make_unique<GuardedWriter>(file, format); }, k_failed);
      return writer;
    },
};

} // namespace mdivicom

extern "C" const mdivicom::ArchiveModule* mdivicom_archive_module()
{
  return &mdivicom::k_module;
}
