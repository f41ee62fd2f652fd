#pragma once

#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

namespace mdivicom {

// Armed from the moment a run's "running" record exists until its final record is written: if
// an exception (std::bad_alloc under a memory limit, most often) leaves run_plugin in between,
// the destructor rewrites the record as failed, so no record says "running" for a runner that
// is gone. It keeps 1 MiB in reserve and frees it first, so that writing the record has memory
// even after an allocation failed.
class RecordGuard
{
public:
  RecordGuard(std::filesystem::path record_path, const nlohmann::json& record);
  ~RecordGuard(); // must not throw: runs while an exception unwinds
  RecordGuard(const RecordGuard&) = delete;
  RecordGuard& operator=(const RecordGuard&) = delete;

  // The running record is written: from now on an exception rewrites it. (Constructed before,
  // so that the reserve is there whatever fails next.)
  void arm() { m_armed = true; }
  // The final record is written: nothing left to do.
  void dismiss() { m_armed = false; }

private:
  std::filesystem::path m_path;
  const nlohmann::json& m_record;
  bool m_armed = false;
  int m_uncaught;
  std::unique_ptr<char[]> m_reserve;
};

} // namespace mdivicom
