#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace mdivicom {

// Keeps a plugin's earlier outputs safe across a re-run. The rule (README, "Re-running"):
// - an empty or missing O/<id> is simply used;
// - O/<id> holding files is refused unless --overwrite is given;
// - with --overwrite the old outputs are parked in O/_runs/<run_id>.previous/ (a rename, so
//   nothing is copied) and the plugin writes into a fresh O/<id>. Only when the run succeeds
//   are the parked outputs deleted; otherwise the failed run's files move to
//   O/_runs/<run_id>.failed-outputs/ and the parked outputs go back to O/<id>.
class OutputSlot
{
public:
  // Throws a usage Error when O/<id> holds outputs and overwrite is false.
  OutputSlot(std::filesystem::path plugin_out_dir, const std::filesystem::path& runs_dir, const std::string& run_id,
             bool overwrite);

  // Finishes the rule above; returns what happened, for the run record (null when nothing
  // was parked).
  nlohmann::json settle(bool succeeded);

  const std::filesystem::path& parked_dir() const { return m_parked; }

private:
  std::filesystem::path m_dir;
  std::filesystem::path m_parked; // empty when there was nothing to park
  std::filesystem::path m_failed_dir;
};

} // namespace mdivicom
