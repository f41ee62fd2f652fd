#include "core/util/fs.hpp"

#include "core/util/error.hpp"
#include "core/util/fd_write.hpp"
#include "core/util/unique_fd.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom {

namespace fs = std::filesystem;

fs::path temp_path_beside(const fs::path& path)
{
  std::random_device random;
  fs::path temp = path;
  temp += ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(random());
  return temp;
}

void write_file_atomic(const fs::path& path, std::string_view content, Durability durability)
{
  const fs::path temp = temp_path_beside(path);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw Error("cannot write " + path.string() + ": " + std::strerror(errno));
  }
  if (!write_all(fd, content)) {
    int saved = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    throw Error("cannot write " + path.string() + ": " + std::strerror(saved));
  }
  if ((durability == Durability::synced && ::fsync(fd) != 0) || ::close(fd) != 0 ||
      std::rename(temp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(temp.c_str());
    throw Error("cannot write " + path.string() + ": " + std::strerror(saved));
  }
  if (durability == Durability::synced) {
    // The rename lives in the directory: without this, a power cut can bring the old file back.
    int dir = ::open(path.parent_path().empty() ? "." : path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
  }
}

std::string read_open_file(int fd, const fs::path& path, std::uintmax_t max_bytes)
{
  struct stat info = {};
  if (::fstat(fd, &info) != 0) {
    throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) {
    throw Error("cannot read " + path.string() + ": not a regular file");
  }
  const auto size = static_cast<std::uintmax_t>(info.st_size);
  if (size > max_bytes) {
    throw Error("refusing to read " + path.string() + ": " + std::to_string(size) +
                " bytes is more than the limit of " + std::to_string(max_bytes));
  }
  // Returns how many bytes it read into `into` at `offset`: 0 at end of file.
  auto read_at = [&](char* into, size_t length, size_t offset) {
    while (true) {
      ssize_t n = ::pread(fd, into, length, static_cast<off_t>(offset));
      if (n >= 0) {
        return static_cast<size_t>(n);
      }
      if (errno != EINTR) {
        throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
      }
    }
  };
  std::string content(size, '\0');
  size_t done = 0;
  while (done < content.size()) {
    size_t n = read_at(content.data() + done, content.size() - done, done);
    if (n == 0) {
      break; // it shrank since fstat
    }
    done += n;
  }
  content.resize(done);
  // It may also have grown since fstat (or, like /proc files, tell no size): read on to its end.
  char more[4096];
  for (size_t n = read_at(more, sizeof more, done); n > 0; n = read_at(more, sizeof more, done)) {
    if (done + n > max_bytes) {
      throw Error("refusing to read " + path.string() + ": it grew past the limit of " + std::to_string(max_bytes) +
                  " bytes while being read");
    }
    content.append(more, n);
    done += n;
  }
  return content;
}

std::string read_file(const fs::path& path, std::uintmax_t max_bytes)
{
  // O_NONBLOCK: a FIFO at the path must not block the open; it is refused as not a regular file.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
  }
  return read_open_file(fd.get(), path, max_bytes);
}

fs::path resolved_path(const fs::path& path)
{
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  if (error) {
    absolute = path;
  }
  fs::path canonical = fs::weakly_canonical(absolute, error);
  return (error ? absolute : canonical).lexically_normal();
}

std::vector<std::string> split_path_list(const char* value)
{
  std::vector<std::string> parts;
  for (std::string_view rest = value != nullptr ? value : ""; !rest.empty();) {
    const size_t colon = std::min(rest.find(':'), rest.size());
    if (colon > 0) {
      parts.emplace_back(rest.substr(0, colon));
    }
    rest.remove_prefix(std::min(colon + 1, rest.size()));
  }
  return parts;
}

bool is_same_or_within(const fs::path& path, const fs::path& dir)
{
  fs::path p = resolved_path(path);
  fs::path d = resolved_path(dir);
  auto [d_end, p_it] = std::mismatch(d.begin(), d.end(), p.begin(), p.end());
  if (d_end == d.end()) {
    return true;
  }
  // A trailing separator shows up as one empty final element.
  return std::next(d_end) == d.end() && d_end->empty();
}

bool is_missing_or_empty_dir(const fs::path& dir)
{
  std::error_code error;
  if (!fs::exists(dir, error)) {
    return true;
  }
  return fs::is_directory(dir, error) && fs::is_empty(dir, error);
}

bool is_clean_relative_path(const std::string& path)
{
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string::npos) {
    return false;
  }
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty() || part == "." || part == "..") {
      return false;
    }
    if (slash == std::string::npos) {
      return true;
    }
    start = slash + 1;
  }
}

} // namespace mdivicom
