#include "lanes/container/stats.hpp"

#include <algorithm>
#include <cmath>

namespace mdivicom::container {

namespace {

uint64_t unsigned_at(const nlohmann::json& object, const char* key)
{
  if (!object.is_object()) {
    return 0;
  }
  auto it = object.find(key);
  return it != object.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

} // namespace

void StatsSampler::feed(std::string_view data)
{
  m_pending.append(data);
  size_t begin = 0;
  for (size_t end = m_pending.find('\n'); end != std::string::npos; end = m_pending.find('\n', begin)) {
    auto sample = nlohmann::json::parse(m_pending.begin() + static_cast<std::ptrdiff_t>(begin),
                                        m_pending.begin() + static_cast<std::ptrdiff_t>(end), nullptr, false);
    if (sample.is_object()) {
      take(sample);
    }
    begin = end + 1;
  }
  m_pending.erase(0, begin);
  if (m_pending.size() > (std::size_t{1} << 20)) {
    m_pending.clear(); // not a stats stream: a sample is a few KiB
  }
}

void StatsSampler::take(const nlohmann::json& sample)
{
  // Podman's own API: {"Error", "Stats": [{"CPUNano", "MemUsage", ...}]}, one entry per container asked.
  if (auto list = sample.find("Stats"); list != sample.end()) {
    if (list->is_array() && !list->empty()) {
      count(unsigned_at((*list)[0], "CPUNano"), unsigned_at((*list)[0], "MemUsage"));
    }
    return;
  }
  const nlohmann::json memory = sample.value("memory_stats", nlohmann::json::object());
  const nlohmann::json cpu = sample.value("cpu_stats", nlohmann::json::object());
  const uint64_t cpu_ns = unsigned_at(cpu.value("cpu_usage", nlohmann::json::object()), "total_usage");
  const uint64_t usage = unsigned_at(memory, "usage");
  const uint64_t max_usage = unsigned_at(memory, "max_usage");
  const uint64_t limit = unsigned_at(memory, "limit");
  if (count(cpu_ns, usage) && max_usage != 0 && (limit == 0 || max_usage < limit)) {
    m_peak_bytes = std::max(m_peak_bytes, max_usage);
  }
}

bool StatsSampler::count(uint64_t cpu_ns, uint64_t usage)
{
  if (cpu_ns == 0 && usage == 0) {
    return false; // a sample of a container that is not running (yet, or any more): all zeros
  }
  ++m_samples;
  m_cpu_ns = std::max(m_cpu_ns, cpu_ns); // cumulative
  m_peak_bytes = std::max(m_peak_bytes, usage);
  return true;
}

nlohmann::json StatsSampler::resources() const
{
  if (m_samples == 0) {
    return nullptr;
  }
  return {{"cpu_s", std::round(static_cast<double>(m_cpu_ns) / 1e6) / 1000},
          {"peak_memory_bytes", m_peak_bytes},
          {"source", "engine_stats"},
          {"samples", m_samples}};
}

} // namespace mdivicom::container
