#include "core/run/log.hpp"

#include "core/util/error.hpp"
#include "core/util/fd_write.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>

#include <unistd.h>

namespace mdivicom {

namespace {

std::string describe_bytes(uint64_t bytes)
{
  return std::to_string(bytes) + " bytes";
}

} // namespace

uint64_t log_limit_from_env()
{
  const char* text = std::getenv("MDIVICOM_LOG_LIMIT");
  if (text == nullptr || *text == '\0') {
    return k_default_log_limit;
  }
  const std::string_view value = text;
  uint64_t number = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  const std::string_view suffix(end, static_cast<size_t>(value.data() + value.size() - end));
  int shift = -1;
  if (suffix.empty()) {
    shift = 0;
  } else if (suffix == "K" || suffix == "k") {
    shift = 10;
  } else if (suffix == "M" || suffix == "m") {
    shift = 20;
  } else if (suffix == "G" || suffix == "g") {
    shift = 30;
  }
  if (error != std::errc() || shift < 0 || number > (UINT64_MAX >> 31) || (number << shift) < 1024) {
    throw usage_error("MDIVICOM_LOG_LIMIT=" + std::string(value) +
                      " is not a size of at least 1K; give bytes or a number with K, M or G (e.g. 256M), or unset "
                      "it for the default of 64M");
  }
  return number << shift;
}

RunLog::RunLog(const std::filesystem::path& path, const std::vector<std::string>& secrets, bool echo, uint64_t limit)
  : m_file(path, std::ios::binary | std::ios::app), m_secrets(secrets), m_echo(echo), m_limit(limit),
    m_head_limit(limit - limit / 4), m_out{1, StreamScrubber(secrets)}, m_err{2, StreamScrubber(secrets)}
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
  const uint64_t before = m_output_bytes;
  m_output_bytes += text.size();
  if (before < m_head_limit) {
    const std::string_view head =
        text.substr(0, static_cast<size_t>(std::min<uint64_t>(text.size(), m_head_limit - before)));
    if (m_echo) {
      // A closed terminal must not fail the run: the log file still has everything.
      (void)write_all(stream.terminal_fd, head);
    }
    m_file.write(head.data(), static_cast<std::streamsize>(head.size()));
    m_file.flush();
    text.remove_prefix(head.size());
    if (text.empty()) {
      return;
    }
    if (m_echo) {
      (void)write_all(2, "\n[mdivicom] the plugin's output passed " + describe_bytes(m_head_limit) +
                             ": the rest is not shown; the log keeps its last " +
                             describe_bytes(m_limit - m_head_limit) + " (MDIVICOM_LOG_LIMIT)\n");
    }
  }
  keep_tail(text);
}

// Keeps the last (limit - head) bytes; trimmed in steps, so that a stream of small writes does
// not move the whole tail each time.
void RunLog::keep_tail(std::string_view text)
{
  const uint64_t budget = m_limit - m_head_limit;
  if (text.size() >= budget) {
    m_omitted += m_tail.size() + (text.size() - budget);
    m_tail.assign(text.substr(text.size() - budget));
    return;
  }
  m_tail.append(text);
  if (m_tail.size() > budget + budget / 2) {
    m_omitted += m_tail.size() - budget;
    m_tail.erase(0, m_tail.size() - budget);
  }
}

void RunLog::write_tail()
{
  const uint64_t budget = m_limit - m_head_limit;
  if (m_tail.size() > budget) {
    m_omitted += m_tail.size() - budget;
    m_tail.erase(0, m_tail.size() - budget);
  }
  if (m_omitted > 0) {
    m_file << "\n[mdivicom] log limit of " << describe_bytes(m_limit)
           << " reached (MDIVICOM_LOG_LIMIT): " << describe_bytes(m_omitted) << " of output left out here; the last "
           << describe_bytes(m_tail.size()) << " follow\n";
  }
  m_file.write(m_tail.data(), static_cast<std::streamsize>(m_tail.size()));
  m_file.flush();
  m_tail.clear();
}

void RunLog::flush()
{
  emit(m_out, m_out.scrubber.finish());
  emit(m_err, m_err.scrubber.finish());
  if (!m_tail.empty()) {
    write_tail();
  }
}

nlohmann::json RunLog::summary() const
{
  nlohmann::json fragment = {{"limit_bytes", m_limit}, {"output_bytes", m_output_bytes}, {"truncated", m_omitted > 0}};
  if (m_omitted > 0) {
    fragment["omitted_bytes"] = m_omitted;
  }
  return fragment;
}

} // namespace mdivicom
