#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mdivicom::container {

// The container's CPU time and peak memory for the run record, from the engine's stats stream
// (Docker's GET /containers/{id}/stats, or Podman's /libpod/containers/stats with an interval:
// one JSON object a line, about one a second while it runs). Its
// cgroup goes with the container, so nothing can be asked after the exit: the last sample
// before it counts, up to a second early. cgroup v1's memory_stats.max_usage is the peak since
// the container started; without it (cgroup v2, Podman) the largest usage sampled.
class StatsSampler
{
public:
  // Bytes of the stream as they arrive; a line that is not a stats object is ignored.
  void feed(std::string_view data);

  int samples() const { return m_samples; }

  // {"cpu_s", "peak_memory_bytes", "source": "engine_stats", "samples"}, or null without a sample.
  nlohmann::json resources() const;

private:
  void take(const nlohmann::json& sample);
  // Counts a sample of a running container; false for one of all zeros (not running).
  bool count(uint64_t cpu_ns, uint64_t usage);

  std::string m_pending; // an incomplete last line
  int m_samples = 0;
  uint64_t m_cpu_ns = 0;
  uint64_t m_peak_bytes = 0;
};

} // namespace mdivicom::container
