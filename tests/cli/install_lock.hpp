#pragma once

#include <filesystem>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace mdivicom::test {

// Held while a test runs this build's install script (cmake --install, cpack): each run rewrites
// the build's install_manifest.txt, so two at once would garble it.
class InstallLock
{
public:
  explicit InstallLock(const std::filesystem::path& build_dir)
    : m_fd(::open((build_dir / ".install-test.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644))
  {
    if (m_fd >= 0) {
      ::flock(m_fd, LOCK_EX);
    }
  }
  ~InstallLock()
  {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  InstallLock(const InstallLock&) = delete;
  InstallLock& operator=(const InstallLock&) = delete;

private:
  int m_fd;
};

} // namespace mdivicom::test
