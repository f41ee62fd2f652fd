#include "lanes/inproc/fd_util.hpp"

#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

namespace mdivicom::inproc {

int move_fd_high(int fd)
{
  return fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

bool write_all(int fd, std::string_view text)
{
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

} // namespace mdivicom::inproc
