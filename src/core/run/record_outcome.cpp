// Step 5 of the flow, Record (end): PluginRun::record_outcome and its parts.
#include "core/util/utc_time.hpp"
#include "core/run/plugin_run.hpp"

#include "core/config/redact.hpp"
#include "core/records/inventory.hpp"
#include "core/resultbundle/writer.hpp"
#include "core/run/outcome_error.hpp"
#include "core/util/host_facts.hpp"
#include "core/util/text_bytes.hpp"
#include "core/util/thread_pool.hpp"

#include <spdlog/spdlog.h>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

// The contract asks plugins for out_dir/provenance.json; when one did not write it, the runner
// leaves the run-level facts there so the directory stays self-describing when copied alone.
void write_fallback_provenance(const RunRequest& request, const nlohmann::json& record)
{
  fs::path path = request.plugin_out_dir / "provenance.json";
  std::error_code error;
  if (fs::exists(fs::symlink_status(path, error)) || !fs::is_directory(request.plugin_out_dir, error)) {
    return;
  }
  nlohmann::json provenance = {{"written_by", "mdivicom (the plugin wrote no provenance.json)"}};
  for (const char* key : {"run_id", "plugin", "backend", "status", "started_at", "finished_at", "dataset_dir",
                          "config_hash_sha256", "runner", "container", "python", "dataset"}) {
    if (record.contains(key)) {
      provenance[key] = record[key];
    }
  }
  write_file_atomic(path, json_file_text(provenance), Durability::atomic); // like the outputs beside it
}

// What settling the output slot did (OutputSlot::settle's result) or the Error it threw.
struct Settled
{
  nlohmann::json previous_outputs;
  std::string error;
};

// Settles the output slot. A succeeded run's settle only removes the parked outputs, which
// takes ext4 ~0.5 ms even for a small tree: it starts on a thread at once, while provenance and
// inventory are written. A failed run's settle moves the directories the inventory reads (and
// the provenance.json just written into them), so it runs in result(), on this thread.
// The thread is joined by result() or, when a step throws before that, by the destructor.
class SlotSettlement
{
public:
  SlotSettlement(OutputSlot& slot, bool succeeded) : m_slot(slot), m_succeeded(succeeded)
  {
    if (succeeded) {
      m_thread = start_or_run([this] { settle(); }); // or settled here, when no thread can start
    }
  }

  // Called once.
  Settled result()
  {
    if (m_thread.joinable()) {
      m_thread.join();
    } else if (!m_succeeded) {
      settle();
    }
    return std::move(m_settled);
  }

private:
  void settle()
  {
    try {
      m_settled.previous_outputs = m_slot.settle(m_succeeded);
    } catch (const Error& e) {
      m_settled.error = e.what();
    }
  }

  OutputSlot& m_slot;
  const bool m_succeeded;
  Settled m_settled;
  std::jthread m_thread; // last: joined before the members it writes go
};

// What settling the output slot did, into the record; its problems are warnings. A settle that
// threw leaves the record's "pending" fragment, which names where the earlier outputs are.
void record_settled(nlohmann::json& record, Settled settled)
{
  std::string problem = settled.error;
  if (problem.empty() && settled.previous_outputs.is_object()) {
    problem = settled.previous_outputs.value("error", std::string());
  }
  if (!problem.empty()) {
    record["warnings"].push_back(problem);
    spdlog::error("{}", problem);
  }
  if (!settled.error.empty()) {
    return;
  }
  if (settled.previous_outputs.is_null()) {
    record.erase("previous_outputs");
    return;
  }
  if (settled.previous_outputs.is_object()) {
    settled.previous_outputs.erase("error");
  }
  record["previous_outputs"] = std::move(settled.previous_outputs);
}

// After a successful run: write the resultbundle.json the plugin declared, or validate the one
// it wrote. A missing required file or an invalid sidecar under a strict policy fails the run.
void finish_resultbundle(const RunRequest& request, const std::string& policy, RunOutcome& outcome,
                         nlohmann::json& record)
{
  nlohmann::json fragment = resultbundle::finalize_resultbundle(request.plugin.object, request.plugin_out_dir,
                                                                request.run_id, policy, request.dataset_dir);
  if (fragment.value("action", std::string()) != "none") {
    record["resultbundle"] = fragment;
  }
  if (fragment.value("fail_run", false)) {
    outcome.status = RunStatus::failed;
    std::string message = fragment.value("error", std::string());
    if (message.empty()) {
      message = "resultbundle.json is not valid; see the record's resultbundle.report";
    }
    outcome.error = run_error(RunError::result_bundle, message);
  }
}

} // namespace

ExitCode PluginRun::record_outcome(RunOutcome outcome)
{
  add_outcome_to_record(outcome);
  settle_and_inventory(outcome.status == RunStatus::succeeded);
  for (const char* key : {"warnings", "resultbundle"}) { // may quote what the plugin wrote
    if (m_record.contains(key)) {
      scrub_json(m_record[key], m_secrets);
    }
  }
  m_crate->add(m_record); // builds the new crate while the record is written and synced
  write_final_record();
  m_record_guard->dismiss();
  m_clock.mark("final record written");
  try {
    m_crate->commit();
  } catch (const std::exception& e) {
    spdlog::warn("ro-crate-metadata.json not updated: {}", e.what());
  }
  m_clock.mark("ro-crate written");
  return report(outcome);
}

void PluginRun::add_outcome_to_record(RunOutcome& outcome)
{
  const RunRequest& request = m_plan.request;
  // A dry run plans and writes nothing the contract asks for, so there is no bundle to check.
  if (outcome.status == RunStatus::succeeded && !request.dry_run) {
    finish_resultbundle(request, m_bundle_policy, outcome, m_record);
    m_clock.mark("result bundle");
  }
  // Config-derived text reaches the outcome through a plugin's exception (message, traceback),
  // a lane's message or a fact: scrubbed once, before the record, the log, the crate and the
  // terminal get it.
  scrub_json(outcome.error, m_secrets);
  scrub_json(outcome.facts, m_secrets);
  m_log->flush();
  m_record["log"] = m_log->summary();
  const double duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count();
  add_outcome(m_record, outcome, m_started_at, utc_timestamp_now(), duration_s);
  if (outcome.error.is_object()) {
    m_log->note("error: " + outcome.error.value("type", std::string()) + ": " +
                outcome.error.value("message", std::string()));
  }
}

void PluginRun::settle_and_inventory(bool succeeded)
{
  const RunRequest& request = m_plan.request;
  SlotSettlement settlement(*m_slot, succeeded);
  // Separately: a provenance.json that cannot be written must not keep the slot from settling.
  try {
    write_fallback_provenance(request, m_record);
  } catch (const Error& e) {
    m_record["warnings"].push_back(e.what());
    spdlog::error("{}", e.what());
  }
  if (!succeeded) {
    record_settled(m_record, settlement.result());
  }
  m_clock.mark("provenance written (and a failed run's slot settled)");
  try {
    // After settle: a failed run's files may have moved to _runs/<run_id>.failed-outputs/.
    fs::path outputs_dir = request.plugin_out_dir;
    if (m_record.contains("previous_outputs") && m_record["previous_outputs"].contains("failed_outputs")) {
      outputs_dir = m_record["previous_outputs"]["failed_outputs"].get<std::string>();
    }
    m_record["outputs"] = record_outputs(request.out_root, outputs_dir, request.run_id);
  } catch (const Error& e) {
    m_record["warnings"].push_back(std::string("outputs not inventoried: ") + e.what());
    spdlog::error("outputs not inventoried: {}", e.what());
    if (e.code() == ExitCode::interrupted) {
      // The status stays what the plugin did (its outputs are in place, the slot is settled),
      // but a record without its inventory must not pass for a complete one: exit 130.
      m_record["interrupted"] = {{"during", "inventory"}};
    }
  }
  m_clock.mark("outputs inventoried");
  if (succeeded) {
    record_settled(m_record, settlement.result());
  }
}

void PluginRun::write_final_record()
{
  try {
    write_record(m_record_path, m_record);
  } catch (const Error&) {
    // The plugin filled the disk: the reserve's space is the record's.
    const bool released = m_reserve->release();
    try {
      if (!released) {
        throw;
      }
      write_record(m_record_path, m_record);
    } catch (const Error& e) {
      // Larger than the reserve: a record without its file list still says how the run ended
      // (verify then reports it unchecked), which beats one left "running".
      if (!m_record.contains("outputs")) {
        throw;
      }
      m_record.erase("outputs");
      m_record["warnings"].push_back(std::string("outputs not recorded: ") + e.what());
      spdlog::error("outputs not recorded: {}", e.what());
      write_record(m_record_path, m_record);
    }
  }
}

RunSummary PluginRun::summary() const
{
  const RunRequest& request = m_plan.request;
  if (!m_up_to_date_run.empty()) { // nothing ran: the run it is up to date with
    return {m_up_to_date_run, "up-to-date", m_runs_dir / (m_up_to_date_run + ".json"),
            m_runs_dir / (m_up_to_date_run + ".log"), request.plugin_out_dir};
  }
  return {request.run_id, m_record.value("status", std::string()), m_record_path, request.log_path,
          request.plugin_out_dir};
}

ExitCode PluginRun::report(const RunOutcome& outcome) const
{
  const RunRequest& request = m_plan.request;
  const bool succeeded = outcome.status == RunStatus::succeeded;
  std::string summary = "run " + request.run_id + " " + std::string(to_string(outcome.status));
  if (outcome.exit_code && !succeeded) {
    summary += " (exit code " + std::to_string(*outcome.exit_code) + ")";
  }
  if (outcome.signal) {
    summary += " (signal " + std::to_string(*outcome.signal) + ")";
  }
  if (outcome.error.is_object() && !succeeded) {
    summary += ": " + outcome.error.value("message", std::string());
  }
  const bool inventory_interrupted = m_record.contains("interrupted");
  if (succeeded && !inventory_interrupted) {
    spdlog::info("{}; outputs in {}, record {}", summary, request.plugin_out_dir.string(), m_record_path.string());
  } else {
    spdlog::error("{}; record {}, log {}", summary, m_record_path.string(), request.log_path.string());
  }
  if (inventory_interrupted) {
    spdlog::error("interrupted while the outputs were inventoried: the record has no inventory, so 'mdivicom "
                  "verify' cannot check this run; run it again with --overwrite to get one");
    return ExitCode::interrupted;
  }
  return run_exit_code(outcome.status, outcome.error);
}

} // namespace mdivicom
