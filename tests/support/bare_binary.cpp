#include "support/bare_binary.hpp"

#include <string>

#include <unistd.h>

namespace mdivicom::test {

namespace fs = std::filesystem;

BareBinary::BareBinary()
{
  // In the build tree (a hard link cannot cross file systems, and there the binary still finds
  // its modules and worker), named per process: tests run in parallel.
  const fs::path binary = MDIVICOM_BINARY;
  m_root = binary.parent_path() / ("test-bare-binary-" + std::to_string(::getpid()));
  fs::remove_all(m_root);
  fs::create_directories(m_root / "bin");
  fs::create_directories(m_root / "share" / "mdivicom" / "manifests");
  m_binary = m_root / "bin" / "mdivicom";
  fs::create_hard_link(binary, m_binary);
}

BareBinary::~BareBinary()
{
  std::error_code ignored;
  fs::remove_all(m_root, ignored);
}

} // namespace mdivicom::test
