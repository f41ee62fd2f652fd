#pragma once

#include <string_view>

// File descriptor helpers shared by the lane and the Python worker (no dependency on core).
namespace mdivicom::inproc {

// Duplicates fd (close-on-exec) to a number >= 10, so that moving pipes onto 0..4 never
// clobbers one of them.
int move_fd_high(int fd);

// Writes all of `text` to fd, retrying short writes and EINTR; false on error.
bool write_all(int fd, std::string_view text);

} // namespace mdivicom::inproc
