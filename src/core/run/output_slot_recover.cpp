#include "core/run/output_slot_recover.hpp"

#include "core/run/outcome_error.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/records/inventory.hpp"
#include "core/util/text_bytes.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <unistd.h>

#include <spdlog/spdlog.h>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

// A run id as the lock file holds it: one plain name, nothing that leaves _runs.
bool is_plain_name(const std::string& name)
{
  return !name.empty() && name.size() <= 64 && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos && name.front() != '.';
}

// The run the lock file names, and its state ("running", "parked"); empty when settled.
std::pair<std::string, std::string> read_marker(int fd)
{
  char buffer[96] = {};
  ssize_t count = ::pread(fd, buffer, sizeof buffer - 1, 0);
  std::string text(buffer, count > 0 ? static_cast<size_t>(count) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  const size_t space = text.find(' ');
  if (space == std::string::npos) {
    return {};
  }
  return {text.substr(0, space), text.substr(space + 1)};
}

// The killed run's record, finalized: it says how the run ended and, when its outputs were
// moved aside, where they went; those are inventoried, so that verify checks them rather than
// the directory the earlier outputs are back in. Without a move its files stay in O/<id>, not
// inventoried (verify reports the run unchecked). Problems are only logged. True when the
// record was "running".
bool finalize_killed_record(const fs::path& runs_dir, const std::string& killed, const std::string& restored_by,
                            const nlohmann::json& previous_outputs)
{
  const fs::path path = runs_dir / (killed + ".json");
  std::error_code error;
  if (!fs::is_regular_file(fs::symlink_status(path, error))) {
    return false;
  }
  try {
    nlohmann::json record = nlohmann::json::parse(read_file(path), nullptr, false);
    if (!record.is_object() || record.value("status", std::string()) != "running") {
      return false;
    }
    record["status"] = "failed";
    std::string message = "mdivicom was killed before it recorded how the run ended; run " + restored_by;
    message += previous_outputs.is_null() ? " found its files in " + record.value("plugin_out_dir", std::string()) +
                                                " as it left them (not inventoried)"
                                          : " found the earlier outputs still parked and put them back";
    record["error"] = run_error(RunError::runner_killed, message);
    if (!previous_outputs.is_null()) {
      record["previous_outputs"] = previous_outputs;
      record["outputs"] =
          record_outputs(runs_dir.parent_path(), previous_outputs["failed_outputs"].get<std::string>(), killed);
    }
    write_file_atomic(path, json_file_text(record));
  } catch (const std::exception& e) {
    spdlog::warn("the record {} of the killed run was not finalized: {}", path.string(), e.what());
  }
  return true;
}

} // namespace

void mark_slot_lock(int lock_fd, const fs::path& dir, const std::string& run_id, const std::string& state)
{
  const std::string text = run_id.empty() ? std::string() : run_id + " " + state + "\n";
  if (::ftruncate(lock_fd, 0) != 0 ||
      (!text.empty() && ::pwrite(lock_fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))) {
    throw Error("cannot write the lock file of " + dir.string() + ": " + std::strerror(errno) +
                "; check that --out is writable and not full");
  }
}

nlohmann::json recover_killed_run(int lock_fd, const fs::path& dir, const fs::path& runs_dir, const std::string& run_id)
{
  const auto [killed, state] = read_marker(lock_fd);
  if (!is_plain_name(killed)) {
    return nullptr;
  }
  const fs::path parked = runs_dir / (killed + ".previous");
  std::error_code error;
  if (state != "parked" || !fs::is_directory(fs::symlink_status(parked, error))) {
    // Killed with nothing parked (or before it parked them): its files, if any, are in O/<id>.
    if (finalize_killed_record(runs_dir, killed, run_id, nullptr)) {
      spdlog::warn("run {} of {} was killed before it ended: its record now says so", killed, dir.string());
    }
    mark_slot_lock(lock_fd, dir, {}, {});
    return nullptr;
  }
  // This slot holds the lock, so the run that parked them is gone: the earlier outputs go back,
  // and whatever the killed run wrote moves aside, as for a failed run.
  fs::path failed_dir = runs_dir / (killed + ".failed-outputs");
  if (fs::exists(fs::symlink_status(failed_dir, error))) {
    failed_dir = runs_dir / (killed + ".failed-outputs-" + run_id);
  }
  if (fs::exists(fs::symlink_status(dir, error))) {
    if (fs::is_symlink(fs::symlink_status(dir, error)) || !fs::is_directory(fs::symlink_status(dir, error))) {
      throw usage_error("run " + killed + " was killed while the earlier outputs of " + dir.string() +
                        " were parked in " + parked.string() + ", and " + dir.string() +
                        " is now not a directory; move it away so that they can be put back");
    }
    fs::rename(dir, failed_dir, error);
  } else {
    fs::create_directory(failed_dir, error);
  }
  if (!error) {
    fs::rename(parked, dir, error);
  }
  if (error) {
    throw Error("run " + killed + " was killed while the earlier outputs of " + dir.string() + " were parked in " +
                parked.string() + ", and they cannot be put back: " + error.message() + "; move them back by hand");
  }
  mark_slot_lock(lock_fd, dir, {}, {});
  spdlog::warn("run {} was killed while the earlier outputs of {} were parked: they are back in place; what it "
               "wrote is in {}",
               killed, dir.string(), failed_dir.string());
  finalize_killed_record(runs_dir, killed, run_id,
                         {{"parked_at", parked.string()},
                          {"outcome", "restored"},
                          {"failed_outputs", failed_dir.string()},
                          {"restored_by", run_id}});
  return {{"killed_run", killed},
          {"restored_from", parked.string()},
          {"failed_outputs", failed_dir.string()},
          {"restored_by", run_id}};
}

} // namespace mdivicom
