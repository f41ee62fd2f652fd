#pragma once

#include <string_view>

namespace mdivicom {

// Writes all of `bytes` to fd, retrying short writes and EINTR. False on error with errno set
// (EIO for a write that wrote nothing). Standalone like unique_fd.hpp: the Python worker
// program shares it (tests/tools/check_layers.py, WORKER_SHARED).
[[nodiscard]] bool write_all(int fd, std::string_view bytes);

} // namespace mdivicom
