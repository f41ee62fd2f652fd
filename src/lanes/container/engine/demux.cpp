#include "lanes/container/engine/demux.hpp"

#include <cstdint>

namespace mdivicom::container {

namespace {

constexpr size_t k_header_size = 8;

} // namespace

void FrameDemuxer::feed(std::string_view data)
{
  m_buffer.append(data);
  size_t offset = 0;
  while (m_buffer.size() - offset >= k_header_size) {
    const auto* header = reinterpret_cast<const unsigned char*>(m_buffer.data() + offset);
    uint32_t size =
        (uint32_t(header[4]) << 24) | (uint32_t(header[5]) << 16) | (uint32_t(header[6]) << 8) | uint32_t(header[7]);
    if (m_buffer.size() - offset - k_header_size < size) {
      break;
    }
    std::string_view payload(m_buffer.data() + offset + k_header_size, size);
    if (header[0] == 2) {
      m_sink.err(payload);
    } else if (header[0] == 1) {
      m_sink.out(payload);
    }
    offset += k_header_size + size;
  }
  m_buffer.erase(0, offset);
}

} // namespace mdivicom::container
