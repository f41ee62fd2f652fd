#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace mdivicom {

// Adds the finished run `run_id` (its final record) to out_root/ro-crate-metadata.json,
// atomically and under a lock on out_root/_runs/.ro-crate.lock. Reads the existing crate, not
// every record; the result equals build_rocrate(out_root). Builds the crate from all records
// when it is missing, damaged, or does not describe every record (a runner killed before it
// got here). The run pipeline calls it after every run.
void write_rocrate(const std::filesystem::path& out_root, const std::string& run_id, const nlohmann::json& record);

// write_rocrate in steps that overlap the run, so that a run's end waits for none of them:
// the constructor reads and parses the existing crate on a thread while the plugin runs;
// add() builds the crate with the run on a thread while the final record is written; commit()
// writes it, after the record is durable, so the crate never describes a record a crash could
// lose. The lock is held from add() to commit(); a crate replaced since it was read (another
// run finished into out_root) is read again. Destroyed without commit(), it writes nothing.
class RoCrateUpdate
{
public:
  RoCrateUpdate(std::filesystem::path out_root, std::string run_id);
  ~RoCrateUpdate();
  RoCrateUpdate(const RoCrateUpdate&) = delete;
  RoCrateUpdate& operator=(const RoCrateUpdate&) = delete;

  void add(const nlohmann::json& record);
  // Throws Error when the crate cannot be built or written.
  void commit();

private:
  struct State;
  std::unique_ptr<State> m_state;
};

} // namespace mdivicom
