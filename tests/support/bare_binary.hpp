#pragma once

#include <filesystem>

namespace mdivicom::test {

// The mdivicom under test without built-in manifests: a hard link to the binary in a directory
// of the build tree, beside an empty share/mdivicom/manifests (which an installed binary
// searches instead of the source tree's manifests/). For tests of "no plugin found", which the
// build tree's own binary never sees: it always finds the container example. Removed with the
// object.
class BareBinary
{
public:
  BareBinary();
  ~BareBinary();
  BareBinary(const BareBinary&) = delete;
  BareBinary& operator=(const BareBinary&) = delete;

  const std::filesystem::path& path() const { return m_binary; }

private:
  std::filesystem::path m_root;
  std::filesystem::path m_binary;
};

} // namespace mdivicom::test
