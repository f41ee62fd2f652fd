#pragma once

#include <string>
#include <string_view>

#include "core/run/lane.hpp"

namespace mdivicom::container {

// Splits the engine's multiplexed attach/log stream (no TTY) into stdout and stderr. Each frame
// is an 8-byte header [stream, 0, 0, 0, size as 32-bit big endian] and `size` bytes. Frames may
// arrive cut anywhere, so partial data waits for the rest.
class FrameDemuxer
{
public:
  explicit FrameDemuxer(OutputSink& sink) : m_sink(sink) {}

  void feed(std::string_view data);
  // Bytes of an unfinished frame; non-zero at the end means the stream was cut short.
  size_t pending() const { return m_buffer.size(); }

private:
  OutputSink& m_sink;
  std::string m_buffer;
};

} // namespace mdivicom::container
