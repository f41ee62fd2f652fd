#include "core/run/output_slot.hpp"

#include "core/run/output_slot_recover.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

void rename_or_throw(const fs::path& from, const fs::path& to)
{
  std::error_code error;
  fs::rename(from, to, error);
  if (error) {
    throw Error("cannot move " + from.string() + " to " + to.string() + ": " + error.message());
  }
}

} // namespace

void OutputSlot::mark(const std::string& run_id, const std::string& state)
{
  mark_slot_lock(m_lock.get(), m_dir, run_id, state);
}

OutputSlot::OutputSlot(fs::path plugin_out_dir, const fs::path& runs_dir, const std::string& run_id, bool overwrite)
  : OutputSlot(std::move(plugin_out_dir), runs_dir, run_id)
{
  claim(overwrite);
}

OutputSlot::OutputSlot(fs::path plugin_out_dir, const fs::path& runs_dir, const std::string& run_id)
  : m_dir(std::move(plugin_out_dir)), m_run_id(run_id), m_runs_dir(runs_dir),
    m_failed_dir(runs_dir / (run_id + ".failed-outputs"))
{
  std::error_code error;
  fs::create_directories(runs_dir, error); // where the lock lives and the outputs are parked
  const fs::path lock_path = runs_dir / std::string(".").append(m_dir.filename().string()).append(".lock");
  m_lock.reset(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!m_lock) {
    throw Error("cannot open the lock file " + lock_path.string() + ": " + std::strerror(errno) +
                "; check that --out is writable");
  }
  if (::flock(m_lock.get(), LOCK_EX | LOCK_NB) != 0) {
    throw usage_error("another mdivicom run is writing " + m_dir.string() +
                      " now; wait for it to end, or choose another --out");
  }
  m_recovered = recover_killed_run(m_lock.get(), m_dir, runs_dir, run_id);
  if (fs::exists(fs::symlink_status(m_dir, error)) && !fs::is_directory(fs::symlink_status(m_dir, error))) {
    throw usage_error(m_dir.string() + " exists and is not a directory; move it away or choose another --out");
  }
}

void OutputSlot::claim(bool overwrite)
{
  const std::string& run_id = m_run_id;
  if (!is_missing_or_empty_dir(m_dir)) {
    if (!overwrite) {
      throw Error(m_dir.string() + " already holds outputs of an earlier run; pass --overwrite to replace them "
                                   "once the new run succeeds, or choose another --out",
                  ExitCode::out_of_date);
    }
    m_parked = m_runs_dir / (run_id + ".previous");
    mark(run_id, "parked"); // before the rename: a kill between the two leaves nothing parked to miss
    rename_or_throw(m_dir, m_parked);
  }
  std::error_code error;
  fs::create_directories(m_dir, error);
  if (error) {
    throw Error("cannot create the plugin output directory " + m_dir.string() + ": " + error.message());
  }
  if (m_parked.empty()) {
    mark(run_id, "running");
  }
}

OutputSlot::~OutputSlot()
{
  if (m_settled) {
    return;
  }
  if (m_parked.empty()) {
    try {
      mark({}, {});
    } catch (const std::exception& e) { // a destructor must not throw
      spdlog::warn("{}", e.what());
    }
    return;
  }
  try {
    settle(false);
  } catch (const std::exception& e) { // a destructor must not throw
    spdlog::error("{}; the earlier outputs are in {}: move them back to {} by hand", e.what(), m_parked.string(),
                  m_dir.string());
  }
}

nlohmann::json OutputSlot::settle(bool succeeded)
{
  m_settled = true;
  if (m_parked.empty()) {
    mark({}, {});
    return nullptr;
  }
  nlohmann::json fragment = {{"parked_at", m_parked.string()}};
  if (succeeded) {
    mark({}, {}); // before the removal: a kill halfway must not have a half-removed tree restored
    std::error_code error;
    fs::remove_all(m_parked, error);
    if (error) {
      // Not logged here: the run pipeline settles a succeeded run on a thread, and logs this.
      fragment["outcome"] = "replaced; old outputs left at parked_at";
      fragment["error"] = "could not remove the replaced outputs in " + m_parked.string() + ": " + error.message();
    } else {
      fragment["outcome"] = "replaced";
    }
    return fragment;
  }
  rename_or_throw(m_dir, m_failed_dir);
  rename_or_throw(m_parked, m_dir);
  mark({}, {});
  fragment["outcome"] = "restored";
  fragment["failed_outputs"] = m_failed_dir.string();
  spdlog::info("the run failed: earlier outputs restored to {}; this run's files are in {}", m_dir.string(),
               m_failed_dir.string());
  return fragment;
}

} // namespace mdivicom
