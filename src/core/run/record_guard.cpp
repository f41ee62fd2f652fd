#include "core/run/record_guard.hpp"

#include "core/run/outcome_error.hpp"
#include "core/util/host_facts.hpp"
#include "core/util/utc_time.hpp"
#include "core/run/record.hpp"

#include <cstdio>
#include <exception>

namespace mdivicom {

namespace {

constexpr size_t k_reserve_bytes = size_t{1} << 20;

} // namespace

RecordGuard::RecordGuard(std::filesystem::path record_path, const nlohmann::json& record)
  : m_path(std::move(record_path)), m_record(record), m_uncaught(std::uncaught_exceptions()),
    m_reserve(std::make_unique<char[]>(k_reserve_bytes))
{}

RecordGuard::~RecordGuard()
{
  m_reserve.reset();
  if (!m_armed || std::uncaught_exceptions() <= m_uncaught) {
    return;
  }
  try {
    nlohmann::json record = m_record;
    record["status"] = "failed";
    if (!record.contains("finished_at")) {
      record["finished_at"] = utc_timestamp_now();
    }
    record["error"] =
        run_error(RunError::runner, "mdivicom stopped before it finished recording the run (out of "
                                    "memory, or another failure of the runner that it printed on stderr)");
    write_record(m_path, record);
  } catch (...) {
    std::fputs("mdivicom: error: the run record could not be finalized; it still says \"running\"\n", stderr);
  }
}

} // namespace mdivicom
