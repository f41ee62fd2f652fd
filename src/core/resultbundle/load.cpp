#include "core/resultbundle/load.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom::resultbundle {

namespace {

class FileDescriptor
{
public:
  explicit FileDescriptor(int fd) : m_fd(fd) {}
  ~FileDescriptor()
  {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return m_fd; }

private:
  int m_fd;
};

std::string errno_text(int error)
{
  return std::strerror(error);
}

Result<std::string> read_regular_file(const std::string& path)
{
  // O_NONBLOCK: a FIFO swapped in after the checks must not hang us.
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) {
    return Failure{"Could not read sidecar: " + path + ": " + errno_text(errno)};
  }
  struct stat info
  {};
  if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return Failure{"Sidecar path is not a file: " + path};
  }
  if (static_cast<uintmax_t>(info.st_size) > k_max_sidecar_bytes) {
    return Failure{"Sidecar is too large: " + path + " is " + std::to_string(info.st_size) +
                   " bytes; a resultbundle.json may be at most 16 MiB"};
  }
  std::string content;
  char buffer[65536];
  while (true) {
    const ssize_t count = ::read(fd.get(), buffer, sizeof(buffer));
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count < 0) {
      return Failure{"Could not read sidecar: " + path + ": " + errno_text(errno)};
    }
    if (count == 0) {
      break;
    }
    content.append(buffer, static_cast<size_t>(count));
    if (content.size() > k_max_sidecar_bytes) { // the file grew while we read it
      return Failure{"Sidecar is too large: " + path + "; a resultbundle.json may be at most 16 MiB"};
    }
  }
  return content;
}

// Strict UTF-8 (no overlongs, surrogates or values past U+10FFFF), with Python's
// universal-newline translation of read_text() applied.
Result<std::u32string> decode_text(std::string_view bytes)
{
  std::u32string text;
  text.reserve(bytes.size());
  for (size_t pos = 0; pos < bytes.size();) {
    const auto lead = static_cast<unsigned char>(bytes[pos]);
    size_t length = lead < 0x80                    ? 1
                    : lead >= 0xC2 && lead <= 0xDF ? 2
                    : lead >= 0xE0 && lead <= 0xEF ? 3
                    : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                   : 0;
    char32_t c = length == 1 ? lead : lead & (0x7F >> length);
    bool valid = length != 0 && pos + length <= bytes.size();
    for (size_t i = 1; valid && i < length; ++i) {
      const auto byte = static_cast<unsigned char>(bytes[pos + i]);
      valid = (byte & 0xC0) == 0x80;
      c = (c << 6) | (byte & 0x3F);
    }
    valid = valid && !(length == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) &&
            !(length == 4 && (c < 0x10000 || c > 0x10FFFF));
    if (!valid) {
      char detail[96];
      std::snprintf(detail, sizeof(detail), "byte 0x%02x at offset %zu", lead, pos);
      return Failure{std::string("Could not parse sidecar JSON: the file is not valid UTF-8 (") + detail +
                     "); save it as UTF-8"};
    }
    pos += length;
    if (c == '\r') {
      c = '\n';
      if (pos < bytes.size() && bytes[pos] == '\n') {
        ++pos;
      }
    }
    text.push_back(c);
  }
  return text;
}

} // namespace

Result<nlohmann::json> load_sidecar_json(const std::filesystem::path& path)
{
  const std::string name = path.string();
  struct stat info
  {};
  if (::stat(name.c_str(), &info) != 0) {
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == ENAMETOOLONG) {
      return Failure{"Sidecar does not exist: " + name};
    }
    return Failure{"Could not read sidecar: " + name + ": " + errno_text(errno)};
  }
  if (!S_ISREG(info.st_mode)) {
    return Failure{"Sidecar path is not a file: " + name};
  }
  auto bytes = read_regular_file(name);
  if (!bytes) {
    return Failure{bytes.error()};
  }
  auto text = decode_text(*bytes);
  if (!text) {
    return Failure{text.error()};
  }
  if (auto error = python_json_error(*text)) {
    return Failure{"Could not parse sidecar JSON: " + *error};
  }
  try {
    // Carriage returns only ever appear as whitespace in JSON that passed the check above.
    return nlohmann::json::parse(*bytes);
  } catch (const nlohmann::json::out_of_range& error) {
    // A number past a double's range (1e400) is the only expected way to get here: the
    // reference reads it as inf; mdivicom refuses it (README, compatibility with the reference).
    std::string what = error.what();
    size_t open = what.find('\'');
    size_t close = what.rfind('\'');
    std::string number = open < close ? what.substr(open + 1, close - open - 1) : "a number";
    return Failure{"Could not parse sidecar JSON: the number " + number +
                   " is beyond the range of a double (the reference would read it as infinity); write it "
                   "within +-1.8e308"};
  } catch (const nlohmann::json::exception& error) {
    return Failure{std::string("Could not parse sidecar JSON: ") + error.what()};
  }
}

} // namespace mdivicom::resultbundle
