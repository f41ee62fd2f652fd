#include "core/run/record.hpp"

#include "build_info.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/host_facts.hpp"
#include "core/util/utc_time.hpp"
#include "core/config/redact.hpp"
#include "core/util/text_bytes.hpp"
#include "core/util/unique_fd.hpp"

#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom {

namespace {

nlohmann::json string_or_null(const std::string& text)
{
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

nlohmann::json plugin_fragment(const Plugin& plugin)
{
  nlohmann::json fragment = {
      {"id", plugin.id()},
      {"publisher", string_or_null(plugin.publisher())},
      {"kind", plugin.kind()},
      {"version", plugin.version()},
      {"entry_point", plugin.object.value("entry_point", nlohmann::json(nullptr))},
  };
  for (const char* key : {"run_ref", "manifest_path"}) {
    if (plugin.object.contains(key)) {
      fragment[key] = plugin.object[key];
    }
  }
  return fragment;
}

} // namespace

nlohmann::json initial_record(const RunPlan& plan)
{
  const RunRequest& request = plan.request;
  return {
      {"record_version", "mdivicom.run-record.v1"},
      {"run_id", request.run_id},
      {"created_at", utc_timestamp_now()},
      {"status", "running"},
      {"plugin", plugin_fragment(request.plugin)},
      {"backend", request.backend},
      {"dataset_dir", request.dataset_dir.string()},
      {"out_dir", request.out_root.string()},
      {"plugin_out_dir", request.plugin_out_dir.string()},
      {"work_dir", plan.work_dir_given ? nlohmann::json(request.work_dir.string()) : nlohmann::json(nullptr)},
      {"log_path", request.log_path.string()},
      {"config_hash_sha256", plan.config.hash},
      {"config", redact(plan.config.value)},
      {"dry_run", request.dry_run},
      {"timeout_s", request.timeout_s ? nlohmann::json(*request.timeout_s) : nlohmann::json(nullptr)},
      {"runner", {{"name", "mdivicom"}, {"version", build_info::k_version}, {"commit", build_info::k_commit}}},
      {"host", host_facts()},
  };
}

void add_outcome(nlohmann::json& record, const RunOutcome& outcome, const std::string& started_at,
                 const std::string& finished_at, double duration_s)
{
  record["status"] = std::string(to_string(outcome.status));
  record["started_at"] = started_at;
  record["finished_at"] = finished_at;
  record["duration_s"] = duration_s;
  if (!outcome.backend.empty()) {
    record["backend"] = outcome.backend;
  }
  if (outcome.exit_code) {
    record["exit_code"] = *outcome.exit_code;
  }
  if (outcome.signal) {
    record["signal"] = *outcome.signal;
  }
  if (!outcome.error.is_null()) {
    record["error"] = outcome.error;
  }
  if (outcome.facts.is_object()) {
    for (const auto& [key, value] : outcome.facts.items()) {
      record[key] = value;
    }
  }
}

// The records' schema is checked by the tests (tests/support/record_schema.hpp), not here.
void write_record(const std::filesystem::path& path, const nlohmann::json& record, Durability durability)
{
  write_file_atomic(path, json_file_text(record), durability);
}

RecordReserve::RecordReserve(const std::filesystem::path& runs_dir, const std::string& plugin_id)
  : m_path(runs_dir / ("." + plugin_id + ".reserve"))
{
  struct stat info = {};
  if (::lstat(m_path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
      static_cast<uint64_t>(info.st_blocks) * 512 >= k_bytes) {
    return; // made by an earlier run: the common case costs this stat
  }
  UniqueFd fd(::open(m_path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  int result = fd ? ::posix_fallocate(fd.get(), 0, static_cast<off_t>(k_bytes)) : errno;
  if (result == EOPNOTSUPP || result == EINVAL) { // a file system without fallocate: write the bytes
    const std::vector<char> zeros(1 << 16, '\0');
    result = 0;
    for (uint64_t done = 0; done < k_bytes && result == 0; done += zeros.size()) {
      result = ::write(fd.get(), zeros.data(), zeros.size()) == static_cast<ssize_t>(zeros.size()) ? 0 : errno;
    }
  }
  if (result != 0) {
    const bool made = static_cast<bool>(fd);
    fd.reset();
    if (made) {
      ::unlink(m_path.c_str());
    }
    throw usage_error("cannot reserve " + std::to_string(k_bytes >> 20) + " MiB for the run record in " +
                      runs_dir.string() + ": " + std::strerror(result) + "; free space on --out's file system");
  }
}

bool RecordReserve::release() noexcept
{
  return ::unlink(m_path.c_str()) == 0;
}

} // namespace mdivicom
