#include "core/util/fd_write.hpp"

#include <cerrno>

#include <unistd.h>

namespace mdivicom {

bool write_all(int fd, std::string_view bytes)
{
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) {
      continue;
    }
    if (written < 0) {
      return false;
    }
    if (written == 0) {
      errno = EIO; // no progress and no reason: give the caller one to report
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

} // namespace mdivicom
