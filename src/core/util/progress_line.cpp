#include "core/util/progress_line.hpp"

#include "core/util/format_bytes.hpp"

#include <algorithm>
#include <cstdio>

#include <unistd.h>

namespace mdivicom {

namespace {

constexpr uint64_t k_progress_bytes = 256ull << 20;
constexpr auto k_progress_delay = std::chrono::seconds(1);

} // namespace

ProgressLine::ProgressLine(std::string what, size_t total_files, uint64_t total_bytes, bool allowed)
  : m_what(std::move(what)), m_total_files(total_files), m_total_bytes(total_bytes),
    m_enabled(allowed && ::isatty(STDERR_FILENO) == 1), m_start(std::chrono::steady_clock::now())
{}

ProgressLine::~ProgressLine()
{
  if (m_shown) {
    print();
    std::fputc('\n', stderr);
  }
}

void ProgressLine::tick()
{
  if (!m_enabled) {
    return;
  }
  bool long_work = std::max(m_total_bytes, bytes.load()) > k_progress_bytes ||
                   std::chrono::steady_clock::now() - m_start > k_progress_delay;
  if (long_work) {
    print();
  }
}

void ProgressLine::print()
{
  m_shown = true;
  const uint64_t done = bytes.load();
  if (m_total_bytes == 0) {
    std::fprintf(stderr, "\rmdivicom: hashing %s: %zu files, %s\033[K", m_what.c_str(), files.load(),
                 format_bytes(done).c_str());
  } else {
    int percent = static_cast<int>(std::min<uint64_t>(100, done * 100 / m_total_bytes));
    std::fprintf(stderr, "\rmdivicom: hashing %s: %zu/%zu files, %s of %s (%d%%)\033[K", m_what.c_str(), files.load(),
                 m_total_files, format_bytes(done).c_str(), format_bytes(m_total_bytes).c_str(), percent);
  }
  std::fflush(stderr);
}

} // namespace mdivicom
