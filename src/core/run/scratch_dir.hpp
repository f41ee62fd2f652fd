#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/unique_fd.hpp"

namespace mdivicom {

// $TMPDIR, or /tmp when it is unset or empty: where runs make their scratch directories.
std::filesystem::path scratch_parent();

// The private scratch directory of one run, <parent>/mdivicom-<run_id>-XXXXXX: the plugin's temp
// dir and, unless --work is given, its work dir. Removed with everything in it by remove() or
// at the end. While it lives, the runner holds an exclusive flock on its .runner.lock, so that
// gc_scratch_dirs can tell the directory of a killed runner (SIGKILL, the OOM killer) from one
// in use: a lock goes with the process that held it.
class ScratchDir
{
public:
  // Throws Error naming the directory when it cannot be made.
  ScratchDir(const std::filesystem::path& parent, const std::string& run_id);
  ~ScratchDir() { remove(); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  void remove();
  const std::filesystem::path& path() const { return m_path; }

private:
  std::filesystem::path m_path;
  UniqueFd m_lock;
};

struct ScratchGcReport
{
  std::filesystem::path dir; // the parent searched
  bool dry_run = false;
  std::vector<std::string> removed; // names in `dir`; in a dry run: what would be removed
  uint64_t removed_bytes = 0;
  std::vector<std::string> kept_unlocked; // without .runner.lock (an older mdivicom): left alone
  std::vector<std::string> errors;

  // {dir, removed|found: [names], bytes, kept: [{name, reason}], errors: [...]}.
  nlohmann::json to_json() const;
};

// Removes the scratch directories in `parent` whose runner is gone: directories (never links)
// of this user named like a run's, whose .runner.lock nobody holds. One in use is never
// touched: its lock is taken with LOCK_NB, and held while it is removed.
ScratchGcReport gc_scratch_dirs(const std::filesystem::path& parent, bool dry_run);

} // namespace mdivicom
