#include "core/run_log.hpp"

#include "core/error.hpp"

#include <unistd.h>

namespace mdivicom {

namespace {

void write_all(int fd, std::string_view text)
{
  while (!text.empty()) {
    ssize_t written = ::write(fd, text.data(), text.size());
    if (written < 0 && errno == EINTR) {
      continue;
    }
    if (written <= 0) {
      return; // a closed terminal must not fail the run; the log file still has everything
    }
    text.remove_prefix(static_cast<size_t>(written));
  }
}

} // namespace

RunLog::RunLog(const std::filesystem::path& path, const std::vector<std::string>& secrets, bool echo)
  : m_file(path, std::ios::binary | std::ios::app), m_secrets(secrets),
    m_echo(echo), m_out{1, StreamScrubber(secrets)}, m_err{2, StreamScrubber(secrets)}
{
  if (!m_file) {
    throw Error("cannot open the run log " + path.string() + " for writing");
  }
}

RunLog::~RunLog()
{
  flush();
}

void RunLog::out(std::string_view text)
{
  emit(m_out, m_out.scrubber.feed(text));
}

void RunLog::err(std::string_view text)
{
  emit(m_err, m_err.scrubber.feed(text));
}

void RunLog::note(std::string_view text)
{
  m_file << "[mdivicom] " << scrub(text, m_secrets) << "\n";
  m_file.flush();
}

void RunLog::emit(Stream& stream, std::string_view text)
{
  if (text.empty()) {
    return;
  }
  if (m_echo) {
    write_all(stream.terminal_fd, text);
  }
  m_file.write(text.data(), static_cast<std::streamsize>(text.size()));
  m_file.flush();
}

void RunLog::flush()
{
  emit(m_out, m_out.scrubber.finish());
  emit(m_err, m_err.scrubber.finish());
}

} // namespace mdivicom
