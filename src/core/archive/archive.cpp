#include "core/archive/archive.hpp"

#include "core/archive/engine.hpp"
#include "core/util/error.hpp"
#include "core/util/module.hpp"

#include <algorithm>
#include <cctype>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& text, std::string_view suffix)
{
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const ArchiveModule& archive_module()
{
  static const ArchiveModule& module = *module_function<ArchiveModuleEntry>(k_archive_module, k_archive_entry)();
  return module;
}

// A backend call's failure, thrown on this side of the module boundary (archive_engine.hpp).
void throw_if(const std::string& error)
{
  if (!error.empty()) {
    throw Error(error);
  }
}

std::unique_ptr<ArchiveReadBackend> open_reader(const fs::path& file, ArchiveInput accept)
{
  std::string error;
  auto backend = archive_module().open_reader(file, accept, error);
  throw_if(backend ? error : (error.empty() ? "cannot read archive " + file.string() : error));
  return backend;
}

std::unique_ptr<ArchiveWriteBackend> open_writer(const fs::path& file, ArchiveFormat format)
{
  std::string error;
  auto backend = archive_module().open_writer(file, format, error);
  throw_if(backend ? error : (error.empty() ? "cannot write " + file.string() : error));
  return backend;
}

} // namespace

std::optional<ArchiveFormat> archive_format_from_name(const fs::path& file)
{
  std::string name = file.filename().string();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ends_with(name, ".tar.gz") || ends_with(name, ".tgz")) {
    return ArchiveFormat::tar_gz;
  }
  if (ends_with(name, ".tar.zst") || ends_with(name, ".tzst")) {
    return ArchiveFormat::tar_zst;
  }
  if (ends_with(name, ".tar")) {
    return ArchiveFormat::tar;
  }
  if (ends_with(name, ".zip")) {
    return ArchiveFormat::zip;
  }
  return std::nullopt;
}

std::string_view to_string(ArchiveFormat format)
{
  switch (format) {
  case ArchiveFormat::tar: return "tar";
  case ArchiveFormat::tar_gz: return "tar.gz";
  case ArchiveFormat::tar_zst: return "tar.zst";
  case ArchiveFormat::zip: return "zip";
  }
  return "tar";
}

ArchiveReader::ArchiveReader(const fs::path& file, ArchiveInput accept) : m_backend(open_reader(file, accept)) {}

ArchiveReader::~ArchiveReader() = default;

std::optional<ArchiveEntryHeader> ArchiveReader::next()
{
  std::optional<ArchiveEntryHeader> header;
  throw_if(m_backend->next(header));
  return header;
}

size_t ArchiveReader::read(void* buffer, size_t size)
{
  size_t count = 0;
  throw_if(m_backend->read(buffer, size, count));
  return count;
}

uint64_t ArchiveReader::compressed_bytes_read() const
{
  return m_backend->compressed_bytes_read();
}

ArchiveWriter::ArchiveWriter(const fs::path& file, ArchiveFormat format) : m_backend(open_writer(file, format)) {}

ArchiveWriter::~ArchiveWriter() = default;

void ArchiveWriter::add_directory(const std::string& path, uint32_t mode, int64_t mtime)
{
  throw_if(m_backend->add_directory(path, mode, mtime));
}

void ArchiveWriter::add_symlink(const std::string& path, const std::string& target, int64_t mtime)
{
  throw_if(m_backend->add_symlink(path, target, mtime));
}

void ArchiveWriter::add_hardlink(const std::string& path, const std::string& target, int64_t mtime, uint32_t mode)
{
  throw_if(m_backend->add_hardlink(path, target, mtime, mode));
}

void ArchiveWriter::add_special(const std::string& path, EntryType type, int64_t mtime)
{
  throw_if(m_backend->add_special(path, type, mtime));
}

void ArchiveWriter::begin_file(const std::string& path, uint64_t size, uint32_t mode, int64_t mtime)
{
  throw_if(m_backend->begin_file(path, size, mode, mtime));
}

void ArchiveWriter::write_data(const void* data, size_t size)
{
  throw_if(m_backend->write_data(data, size));
}

void ArchiveWriter::finish()
{
  throw_if(m_backend->finish());
}

} // namespace mdivicom
