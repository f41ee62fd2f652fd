#pragma once

#include <filesystem>
#include <string>

namespace mdivicom::test {

// A fresh directory under $TMPDIR, removed with everything in it when the object dies.
class TempDir
{
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

private:
  std::filesystem::path m_path;
};

void write_file(const std::filesystem::path& path, const std::string& content);
std::string read_file(const std::filesystem::path& path);

// Waits until files written so far are past the racy window of the caches (k_racy_window_ns,
// core/util/file_identity.hpp): a cache never trusts a file changed in the last two seconds,
// since a second change within one timestamp tick would keep its identity.
void let_files_settle();

} // namespace mdivicom::test
