#pragma once

// Hand-made run records for verify/pack/RO-Crate tests: the same "outputs" fragment the run
// pipeline stores, written without running a plugin.

#include <cstdlib>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/util/fs.hpp"
#include "core/records/inventory.hpp"
#include "support/temp_dir.hpp"

#include <unistd.h>

namespace mdivicom::test {

// Puts TempDirs made while it lives on /dev/shm (tmpfs) when there is one: tests that create
// tens of thousands of files would otherwise measure the disk's metadata speed.
class MemoryTempDirs
{
public:
  MemoryTempDirs()
  {
    const char* saved = std::getenv("TMPDIR");
    m_had = saved != nullptr;
    m_saved = saved != nullptr ? saved : "";
    std::error_code error;
    if (std::filesystem::is_directory("/dev/shm", error) && ::access("/dev/shm", W_OK) == 0) {
      ::setenv("TMPDIR", "/dev/shm", 1);
    }
  }
  ~MemoryTempDirs()
  {
    if (m_had) {
      ::setenv("TMPDIR", m_saved.c_str(), 1);
    } else {
      ::unsetenv("TMPDIR");
    }
  }
  MemoryTempDirs(const MemoryTempDirs&) = delete;
  MemoryTempDirs& operator=(const MemoryTempDirs&) = delete;

private:
  bool m_had = false;
  std::string m_saved;
};

// Writes out_root/_runs/<run_id>.json for outputs in out_root/<root> and returns the record.
inline nlohmann::json write_run_record(const std::filesystem::path& out_root, const std::string& root,
                                       const std::string& run_id, size_t embed_limit = k_inventory_embed_limit,
                                       const std::string& status = "succeeded")
{
  nlohmann::json record = {
      {"record_version", "mdivicom.run-record.v1"},
      {"run_id", run_id},
      {"created_at", "2025-01-01T00:00:00Z"},
      {"started_at", "2025-01-01T00:00:01Z"},
      {"finished_at", "2025-01-01T00:00:09Z"},
      {"status", status},
      {"plugin", {{"id", root}, {"publisher", "lab"}, {"kind", "python"}, {"version", "1.2.0"}}},
      {"backend", "python"},
      {"dataset_dir", "/data/session-1"},
      {"out_dir", out_root.string()},
      {"plugin_out_dir", (out_root / root).string()},
      {"config", {{"threshold", 0.5}}},
      {"config_hash_sha256", std::string(64, 'c')},
      {"host", {{"hostname", "lab-pc"}, {"os", "Linux"}, {"machine", "x86_64"}, {"user", "ada"}}},
      {"outputs", record_outputs(out_root, out_root / root, run_id, embed_limit)},
  };
  std::filesystem::create_directories(out_root / "_runs");
  write_file(out_root / "_runs" / (run_id + ".json"), record.dump(2));
  return record;
}

// Gives a record written by write_run_record other times and writes it again: the latest run
// of an output directory is decided by them.
inline nlohmann::json set_run_times(const std::filesystem::path& out_root, nlohmann::json record,
                                    const std::string& started_at, const std::string& finished_at)
{
  record["started_at"] = started_at;
  record["finished_at"] = finished_at;
  write_file(out_root / "_runs" / (record["run_id"].get<std::string>() + ".json"), record.dump(2));
  return record;
}

} // namespace mdivicom::test
