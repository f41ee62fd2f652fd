#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/run/lane.hpp"
#include "core/config/redact_scrub.hpp"

namespace mdivicom {

// The log's size limit when MDIVICOM_LOG_LIMIT does not set one: 64 MiB.
inline constexpr uint64_t k_default_log_limit = uint64_t{64} << 20;

// MDIVICOM_LOG_LIMIT (bytes, or with a K, M or G suffix: KiB, MiB, GiB; at least 1K), else the
// default. Throws a usage Error for a value that is not one.
uint64_t log_limit_from_env();

// Shows plugin output live on the terminal and appends it to O/_runs/<run_id>.log, with every
// secret config value replaced, also when a secret arrives split across two reads.
// The plugin's output in the log is bounded by `limit` bytes: its first three quarters are
// kept as they come, and once output passes that, only the last quarter of the limit is kept
// (in memory), written at flush() after a line that says how much was left out. The terminal
// shows the kept head and then one line saying the rest is not shown. The runner's own
// note() lines are not counted.
class RunLog : public OutputSink
{
public:
  RunLog(const std::filesystem::path& path, const std::vector<std::string>& secrets, bool echo,
         uint64_t limit = k_default_log_limit);
  ~RunLog() override;

  void out(std::string_view text) override;
  void err(std::string_view text) override;

  // Writes any held partial line; called when the run ends.
  void flush();

  // A line from the runner itself (not the plugin), into the log only, secrets scrubbed too.
  void note(std::string_view text);

  // For the record's "log": {"limit_bytes", "output_bytes" (all the plugin printed, after
  // redaction), "truncated", and when truncated "omitted_bytes"}.
  nlohmann::json summary() const;

private:
  struct Stream
  {
    int terminal_fd;
    StreamScrubber scrubber;
  };
  void emit(Stream& stream, std::string_view text);
  void keep_tail(std::string_view text);
  void write_tail();

  std::ofstream m_file;
  std::vector<std::string> m_secrets;
  bool m_echo;
  uint64_t m_limit;
  uint64_t m_head_limit;       // bytes of output written as they come
  uint64_t m_output_bytes = 0; // all output so far
  uint64_t m_omitted = 0;      // output neither in the head nor in the kept tail
  std::string m_tail;          // the latest output past the head, at most m_limit - m_head_limit bytes
  Stream m_out;
  Stream m_err;
};

} // namespace mdivicom
