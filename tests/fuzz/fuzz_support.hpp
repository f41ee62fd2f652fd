#pragma once

// Helpers shared by the libFuzzer targets in tests/fuzz (one target per parser, see README.md's
// "Fuzzing"). Each target feeds one input to the parser and aborts on what must never happen;
// libFuzzer with ASan and UBSan reports crashes, leaks and undefined behaviour.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include <sys/mman.h>
#include <unistd.h>

namespace mdivicom::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size)
{
  return {reinterpret_cast<const char*>(data), size};
}

// A property of the parser that failed: printed, then abort() makes libFuzzer keep the input.
[[noreturn]] inline void fail(const char* what, std::string_view detail = {})
{
  std::fprintf(stderr, "fuzz property broken: %s %.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

#define MDIVICOM_FUZZ_CHECK(condition, detail)                                                                         \
  do {                                                                                                                 \
    if (!(condition)) {                                                                                                \
      ::mdivicom::fuzz::fail(#condition, detail);                                                                      \
    }                                                                                                                  \
  } while (false)

// The input as a regular file that lives only in memory (memfd), for parsers that take a path:
// no disk writes per input.
class MemoryFile
{
public:
  explicit MemoryFile(std::string_view content) : m_fd(::memfd_create("mdivicom-fuzz", MFD_CLOEXEC))
  {
    if (m_fd < 0) {
      fail("memfd_create");
    }
    for (size_t done = 0; done < content.size();) {
      ssize_t written = ::write(m_fd, content.data() + done, content.size() - done);
      if (written <= 0) {
        fail("write to memfd");
      }
      done += static_cast<size_t>(written);
    }
  }
  ~MemoryFile() { ::close(m_fd); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  std::string path() const { return "/proc/self/fd/" + std::to_string(m_fd); }

private:
  int m_fd;
};

// A directory of this process's own under `parent`, removed with everything in it at exit.
class ScratchDir
{
public:
  explicit ScratchDir(const std::filesystem::path& parent)
  {
    std::string pattern = (parent / "mdivicom-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      fail("mkdtemp");
    }
    m_path = pattern;
  }
  ~ScratchDir()
  {
    std::error_code error;
    std::filesystem::remove_all(m_path, error);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }

private:
  std::filesystem::path m_path;
};

} // namespace mdivicom::fuzz
