#include "core/run/run.hpp"

#include "core/dataset/archive.hpp"
#include "core/dataset/identity.hpp"
#include "core/util/fs.hpp"
#include "core/util/utc_time.hpp"
#include "core/util/interrupt.hpp"
#include "core/records/inventory.hpp"
#include "core/util/module.hpp"
#include "core/run/output_slot.hpp"
#include "core/util/phase_clock.hpp"
#include "core/config/redact.hpp"
#include "core/config/redact_scrub.hpp"
#include "core/records/rocrate_update.hpp"
#include "core/resultbundle/policy.hpp"
#include "core/resultbundle/writer.hpp"
#include "core/run/log.hpp"
#include "core/run/plan.hpp"
#include "core/run/record_guard.hpp"
#include "core/run/record.hpp"
#include "core/run/scratch_dir.hpp"
#include "core/hash/sha256_engine.hpp"
#include "core/util/text_bytes.hpp"
#include "core/util/thread_pool.hpp"
#include "core/run/write_roots.hpp"

#include <chrono>
#include <thread>
#include <iostream>

#include <spdlog/spdlog.h>

extern char** environ;

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

void create_dir(const fs::path& dir, const char* what)
{
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    throw usage_error(std::string("cannot create the ") + what + " " + dir.string() + ": " + error.message());
  }
}

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

ExitCode exit_code_for(RunStatus status)
{
  switch (status) {
  case RunStatus::succeeded: return ExitCode::ok;
  case RunStatus::cancelled: return ExitCode::interrupted;
  default: return ExitCode::failed;
  }
}

nlohmann::json plan_summary(const RunPlan& plan, Lane& lane)
{
  const RunRequest& request = plan.request;
  // The plan is printed: the lane must not see (and echo) secret config values.
  RunRequest shown = request;
  shown.config = redact(request.config);
  shown.config_text = shown.config.dump();
  return {
      {"plugin", request.plugin.ref()},
      {"kind", request.plugin.kind()},
      {"backend", request.backend},
      {"dataset_dir", request.dataset_dir.string()},
      {"plugin_out_dir", request.plugin_out_dir.string()},
      {"config_hash_sha256", plan.config.hash},
      {"config", redact(plan.config.value)},
      {"dry_run", request.dry_run},
      {"lane", lane.describe(shown)},
  };
}

// What settling the output slot did, into the record; its problems are warnings. A settle that
// threw leaves the record's "pending" fragment, which names where the earlier outputs are.
void record_settled(nlohmann::json& record, nlohmann::json previous_outputs, const std::string& settle_error)
{
  std::string problem = settle_error;
  if (problem.empty() && previous_outputs.is_object()) {
    problem = previous_outputs.value("error", std::string());
  }
  if (!problem.empty()) {
    record["warnings"].push_back(problem);
    spdlog::error("{}", problem);
  }
  if (!settle_error.empty()) {
    return;
  }
  if (previous_outputs.is_null()) {
    record.erase("previous_outputs");
    return;
  }
  if (previous_outputs.is_object()) {
    previous_outputs.erase("error");
  }
  record["previous_outputs"] = std::move(previous_outputs);
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
    outcome.error = {{"type", "ResultBundleError"}, {"message", message}};
  }
}

// Config-derived text reaches the outcome through a plugin's exception (message, traceback),
// a lane's message or a fact: scrubbed once, before the record, the log, the crate and the
// terminal get it.
void scrub_outcome(RunOutcome& outcome, const std::vector<std::string>& secrets)
{
  scrub_json(outcome.error, secrets);
  scrub_json(outcome.facts, secrets);
}

} // namespace

ExitCode run_plugin(PluginCatalog& catalog, const RunOptions& options, const LaneFactory& lanes)
{
  const std::string bundle_policy =
      options.bundle_policy.empty() ? std::string(resultbundle::k_default_bundle_policy) : options.bundle_policy;
  if (resultbundle::policy_by_name(bundle_policy) == nullptr) {
    throw usage_error("unknown --bundle-policy '" + bundle_policy + "'; use one of " + resultbundle::policy_names());
  }
  const DatasetHashMode dataset_hash = parse_dataset_hash_mode(options.dataset_hash);
  const uint64_t log_limit = log_limit_from_env();
  PhaseClock clock;
  // Once the plugin is resolved, the lane starts its slow parts (a worker that starts the Python
  // interpreter, a thread that loads libcurl) and, when SHA-256 is the module on the shared
  // libcrypto, that loads on a thread while this one plans the rest.
  std::jthread loading_crypto;
  std::unique_ptr<Lane> lane;
  RunPlan plan = plan_run(catalog, options, [&](const Plugin& plugin) {
    clock.mark("plugin resolved");
    lane = lanes(plugin.kind());
    if (lane) {
      lane->prepare(plugin, options.lane_options);
    }
#ifndef MDIVICOM_CRYPTO_BUILTIN
    loading_crypto = load_module_in_background(k_crypto_module, k_crypto_entry);
#endif
    clock.mark("lane prepared");
  });
  RunRequest& request = plan.request;
  if (!lane) {
    throw usage_error("no lane can run plugins of kind '" + request.plugin.kind() + "'");
  }
  if (loading_crypto.joinable()) {
    loading_crypto.join();
  }
  clock.mark("plan (config checked)");
  ScratchDir scratch(scratch_parent(), request.run_id);
  request.tmp_dir = scratch.path() / "tmp";
  create_dir(request.tmp_dir, "scratch directory");
  if (!plan.work_dir_given) {
    request.work_dir = scratch.path() / "work";
  }
  if (options.plan_only) {
    std::cout << json_file_text(plan_summary(plan, *lane));
    return ExitCode::ok;
  }

  if (std::string problem = lane->refusal(request); !problem.empty()) {
    throw usage_error(problem);
  }
  const fs::path runs_dir = request.out_root / "_runs";
  create_dir(runs_dir, "run record directory");
  // Checked again now that O and O/_runs exist: a link that dangled when the run was planned
  // may resolve to them (or into the dataset) by now.
  check_write_roots(request, plan.work_dir_given, scratch_parent());
  create_dir(request.work_dir, "work directory");
  check_write_roots(request, plan.work_dir_given, scratch_parent());
  // From here on an interrupt ends the run in order: a Ctrl-C while the dataset is hashed still
  // gives the parked outputs back (OutputSlot).
  InterruptScope interrupts;
  OutputSlot slot(request.plugin_out_dir, runs_dir, request.run_id, options.overwrite);
  RecordReserve reserve(runs_dir, request.plugin.id()); // before the plugin can fill the disk
  clock.mark("directories and output slot");

  const fs::path record_path = runs_dir / (request.run_id + ".json");
  nlohmann::json record = initial_record(plan);
  if (!slot.parked_dir().empty()) {
    record["previous_outputs"] = {{"parked_at", slot.parked_dir().string()}, {"outcome", "pending"}};
  }
  if (!slot.recovered().is_null()) {
    record["recovered_outputs"] = slot.recovered();
  }
  record["dataset"] = dataset_identity(request.dataset_dir, dataset_hash);
  if (is_dataset_archive(options.dataset)) {
    record["dataset"]["archive"] = {{"path", resolved_path(options.dataset).string()},
                                    {"sha256", prepared_archive_sha256(request.dataset_dir)}};
  }
  clock.mark("dataset identity");
  RecordGuard record_guard(record_path, record);         // a runner failure after the next line still ends the record
  write_record(record_path, record, Durability::atomic); // the final record replaces it
  record_guard.arm();
  clock.mark("running record written");
  spdlog::info("run {}: {} on {}", request.run_id, request.plugin.ref(), request.dataset_dir.string());

  // The plugin inherits the environment: its tokens are scrubbed as the config's secrets are.
  std::vector<std::string> secrets = secret_strings(plan.config.value);
  for (auto& value : secret_env_values(environ)) {
    secrets.push_back(std::move(value));
  }
  RunLog log(request.log_path, secrets, options.echo_output, log_limit);
  RoCrateUpdate crate(request.out_root, request.run_id); // reads the crate while the plugin runs
  const std::string started_at = utc_timestamp_now();
  const auto start = std::chrono::steady_clock::now();
  RunOutcome outcome;
  try {
    outcome = lane->execute(request, log);
  } catch (const std::exception& e) {
    outcome.status = interrupt_requested() ? RunStatus::cancelled : RunStatus::failed;
    outcome.error = {{"type", "RunnerError"}, {"message", e.what()}};
  }
  clock.mark("lane executed the plugin");
  // The lane has ended the plugin's processes: their scratch dir goes while the run is recorded.
  std::jthread removing_scratch = start_or_run([&scratch] { scratch.remove(); });
  // A dry run plans and writes nothing the contract asks for, so there is no bundle to check.
  if (outcome.status == RunStatus::succeeded && !request.dry_run) {
    finish_resultbundle(request, bundle_policy, outcome, record);
    clock.mark("result bundle");
  }
  scrub_outcome(outcome, secrets);
  log.flush();
  record["log"] = log.summary();
  const double duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  add_outcome(record, outcome, started_at, utc_timestamp_now(), duration_s);
  if (outcome.error.is_object()) {
    log.note("error: " + outcome.error.value("type", std::string()) + ": " +
             outcome.error.value("message", std::string()));
  }

  const bool succeeded = outcome.status == RunStatus::succeeded;
  // Settling a succeeded run's slot only removes the parked outputs, which takes ext4 ~0.5 ms
  // even for a small tree: on a thread, while provenance and inventory are written. A failed
  // run's slot moves the directories the inventory reads, so it settles before them.
  nlohmann::json previous_outputs;
  std::string settle_error;
  auto settle = [&] {
    try {
      previous_outputs = slot.settle(succeeded);
    } catch (const Error& e) {
      settle_error = e.what();
    }
  };
  std::jthread settling = succeeded ? start_or_run(settle) : std::jthread();
  // Separately: a provenance.json that cannot be written must not keep the slot from settling.
  try {
    write_fallback_provenance(request, record);
  } catch (const Error& e) {
    record["warnings"].push_back(e.what());
    spdlog::error("{}", e.what());
  }
  if (!succeeded) {
    settle();
    record_settled(record, previous_outputs, settle_error);
  }
  clock.mark("provenance written (and a failed run's slot settled)");
  try {
    // After settle: a failed run's files may have moved to _runs/<run_id>.failed-outputs/.
    fs::path outputs_dir = request.plugin_out_dir;
    if (record.contains("previous_outputs") && record["previous_outputs"].contains("failed_outputs")) {
      outputs_dir = record["previous_outputs"]["failed_outputs"].get<std::string>();
    }
    record["outputs"] = record_outputs(request.out_root, outputs_dir, request.run_id);
  } catch (const Error& e) {
    record["warnings"].push_back(std::string("outputs not inventoried: ") + e.what());
    spdlog::error("outputs not inventoried: {}", e.what());
    if (e.code() == ExitCode::interrupted) {
      // The status stays what the plugin did (its outputs are in place, the slot is settled),
      // but a record without its inventory must not pass for a complete one: exit 130.
      record["interrupted"] = {{"during", "inventory"}};
    }
  }
  clock.mark("outputs inventoried");
  if (settling.joinable()) {
    settling.join();
    record_settled(record, previous_outputs, settle_error);
  }
  for (const char* key : {"warnings", "resultbundle"}) { // may quote what the plugin wrote
    if (record.contains(key)) {
      scrub_json(record[key], secrets);
    }
  }
  crate.add(record); // builds the new crate while the record is written and synced
  try {
    write_record(record_path, record);
  } catch (const Error&) {
    // The plugin filled the disk: the reserve's space is the record's.
    const bool released = reserve.release();
    try {
      if (!released) {
        throw;
      }
      write_record(record_path, record);
    } catch (const Error& e) {
      // Larger than the reserve: a record without its file list still says how the run ended
      // (verify then reports it unchecked), which beats one left "running".
      if (!record.contains("outputs")) {
        throw;
      }
      record.erase("outputs");
      record["warnings"].push_back(std::string("outputs not recorded: ") + e.what());
      spdlog::error("outputs not recorded: {}", e.what());
      write_record(record_path, record);
    }
  }
  record_guard.dismiss();
  clock.mark("final record written");
  try {
    crate.commit();
  } catch (const std::exception& e) {
    spdlog::warn("ro-crate-metadata.json not updated: {}", e.what());
  }
  clock.mark("ro-crate written");
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
  const bool inventory_interrupted = record.contains("interrupted");
  if (succeeded && !inventory_interrupted) {
    spdlog::info("{}; outputs in {}, record {}", summary, request.plugin_out_dir.string(), record_path.string());
  } else {
    spdlog::error("{}; record {}, log {}", summary, record_path.string(), request.log_path.string());
  }
  if (inventory_interrupted) {
    spdlog::error("interrupted while the outputs were inventoried: the record has no inventory, so 'mdivicom "
                  "verify' cannot check this run; run it again with --overwrite to get one");
    return ExitCode::interrupted;
  }
  return exit_code_for(outcome.status);
}

} // namespace mdivicom
