#include "core/util/file_identity.hpp"

#include <chrono>

namespace mdivicom {

int64_t timestamp_ns(const struct timespec& time)
{
  return static_cast<int64_t>(time.tv_sec) * 1'000'000'000 + time.tv_nsec;
}

FileIdentity file_identity(const struct stat& info)
{
  return {info.st_dev, info.st_ino, static_cast<uint64_t>(info.st_size), timestamp_ns(info.st_mtim),
          timestamp_ns(info.st_ctim)};
}

std::optional<FileIdentity> file_identity_at(int dir_fd, const char* name)
{
  struct stat info = {};
  if (::fstatat(dir_fd, name, &info, 0) != 0) {
    return std::nullopt;
  }
  return file_identity(info);
}

int64_t wall_clock_ns()
{
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_settled(const FileIdentity& identity, int64_t now_ns)
{
  return identity.mtime_ns < now_ns - k_racy_window_ns && identity.ctime_ns < now_ns - k_racy_window_ns;
}

} // namespace mdivicom
