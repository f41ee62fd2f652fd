#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/lane.hpp"
#include "core/redact.hpp"

namespace mdivicom {

// Shows plugin output live on the terminal and appends it to O/_runs/<run_id>.log, with every
// secret config value replaced, also when a secret arrives split across two reads.
class RunLog : public OutputSink
{
public:
  RunLog(const std::filesystem::path& path, const std::vector<std::string>& secrets, bool echo);
  ~RunLog() override;

  void out(std::string_view text) override;
  void err(std::string_view text) override;

  // Writes any held partial line; called when the run ends.
  void flush();

  // A line from the runner itself (not the plugin), into the log only, secrets scrubbed too.
  void note(std::string_view text);

private:
  struct Stream
  {
    int terminal_fd;
    StreamScrubber scrubber;
  };
  void emit(Stream& stream, std::string_view text);

  std::ofstream m_file;
  std::vector<std::string> m_secrets;
  bool m_echo;
  Stream m_out;
  Stream m_err;
};

} // namespace mdivicom
