#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/util/unique_fd.hpp"

namespace mdivicom {

// Keeps a plugin's earlier outputs safe across a re-run. The rule (README, "Re-running"):
// - an empty or missing O/<id> is simply used;
// - O/<id> holding files is refused unless --overwrite is given;
// - with --overwrite the old outputs are parked in O/_runs/<run_id>.previous/ (a rename, so
//   nothing is copied) and the plugin writes into a fresh O/<id>. Only when the run succeeds
//   are the parked outputs deleted; otherwise the failed run's files move to
//   O/_runs/<run_id>.failed-outputs/ and the parked outputs go back to O/<id>.
// A slot is one run's at a time: it holds a lock (O/_runs/.<id>.lock) from the start to the end
// of the run. A run that ends before settle() (an error, an exception) gives the parked
// outputs back as a failed run does. Until it settles, the lock file names the run and whether
// it parked outputs: a run killed before it settled (SIGKILL, power loss) leaves that behind,
// and the next slot of the directory, holding the lock and so sure that run is gone, gives its
// parked outputs back and finalizes its record (output_slot_recover.hpp).
class OutputSlot
{
public:
  // Takes the slot's lock and gives back what a killed run left parked. Throws a usage Error
  // when another run holds the slot. The outputs are not touched until claim().
  OutputSlot(std::filesystem::path plugin_out_dir, const std::filesystem::path& runs_dir, const std::string& run_id);
  // Both steps at once.
  OutputSlot(std::filesystem::path plugin_out_dir, const std::filesystem::path& runs_dir, const std::string& run_id,
             bool overwrite);

  // The rule above: parks earlier outputs (overwrite), or throws an Error with exit 3 when
  // O/<id> holds outputs and overwrite is false. A slot never claimed changes nothing.
  void claim(bool overwrite);
  ~OutputSlot();
  OutputSlot(const OutputSlot&) = delete;
  OutputSlot& operator=(const OutputSlot&) = delete;

  // Finishes the rule above; returns what happened, for the run record (null when nothing
  // was parked).
  nlohmann::json settle(bool succeeded);

  const std::filesystem::path& parked_dir() const { return m_parked; }

  // What the constructor did about a killed run's parked outputs, for the new run's record
  // (null when there was nothing to do).
  const nlohmann::json& recovered() const { return m_recovered; }

private:
  void mark(const std::string& run_id, const std::string& state); // mark_slot_lock, output_slot_recover.hpp

  nlohmann::json m_recovered;
  std::filesystem::path m_dir;
  std::string m_run_id;
  std::filesystem::path m_runs_dir;
  std::filesystem::path m_parked; // empty when there was nothing to park
  std::filesystem::path m_failed_dir;
  UniqueFd m_lock;
  bool m_settled = false;
};

} // namespace mdivicom
