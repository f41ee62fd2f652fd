#include "core/resultbundle/load.hpp"

#include "core/resultbundle/pyjson.hpp"
#include "core/util/unique_fd.hpp"
#include "core/util/utf8.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom::resultbundle {

namespace {

std::string errno_text(int error)
{
  return std::strerror(error);
}

Result<std::string> read_regular_file(const std::string& path)
{
  // O_NONBLOCK: a FIFO swapped in after the checks must not hang us.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
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

// The text Python's read_text() gives: strict UTF-8 (utf8.hpp), universal newlines.
Result<std::string> decode_text(std::string_view bytes)
{
  if (const size_t bad = find_invalid_utf8(bytes); bad != std::string_view::npos) {
    char detail[96];
    std::snprintf(detail, sizeof(detail), "byte 0x%02x at offset %zu", static_cast<unsigned char>(bytes[bad]), bad);
    return Failure{std::string("Could not parse sidecar JSON: the file is not valid UTF-8 (") + detail +
                   "); save it as UTF-8"};
  }
  std::string text;
  text.reserve(bytes.size());
  for (size_t pos = 0; pos < bytes.size(); ++pos) {
    if (bytes[pos] != '\r') {
      text += bytes[pos];
      continue;
    }
    text += '\n';
    if (pos + 1 < bytes.size() && bytes[pos + 1] == '\n') {
      ++pos;
    }
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
