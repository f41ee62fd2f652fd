#include "core/util/utc_time.hpp"
#include "core/run/plugin_run.hpp"

#include "core/config/redact.hpp"
#include "core/dataset/archive.hpp"
#include "core/hash/cache.hpp"
#include "core/hash/sha256_engine.hpp"
#include "core/resultbundle/policy.hpp"
#include "core/resultbundle/writer.hpp"
#include "core/run/freshness.hpp"
#include "core/run/outcome_error.hpp"
#include "core/run/write_roots.hpp"
#include "core/util/fs.hpp"
#include "core/util/host_facts.hpp"
#include "core/util/module.hpp"
#include "core/util/text_bytes.hpp"
#include "core/util/thread_pool.hpp"

#include <cstdio>

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

std::string checked_bundle_policy(const std::string& option)
{
  std::string policy = option.empty() ? std::string(resultbundle::k_default_bundle_policy) : option;
  if (resultbundle::policy_by_name(policy) == nullptr) {
    throw usage_error("unknown --bundle-policy '" + policy + "'; use one of " + resultbundle::policy_names());
  }
  return policy;
}

} // namespace

PluginRun::PluginRun(PluginCatalog& catalog, const RunOptions& options, const LaneFactory& lanes)
  : m_options(options), m_lanes(lanes), m_bundle_policy(checked_bundle_policy(options.bundle_policy)),
    m_dataset_hash(parse_dataset_hash_mode(options.dataset_hash)), m_log_limit(log_limit_from_env()),
    m_plan(plan_run(catalog, options, [this](const Plugin& plugin) { start_lane(plugin); }))
{
  RunRequest& request = m_plan.request;
  if (!m_lane) {
    throw usage_error("no lane can run plugins of kind '" + request.plugin.kind() + "'");
  }
  if (m_loading_crypto.joinable()) {
    m_loading_crypto.join();
  }
  m_clock.mark("plan (config checked)");
  m_scratch.emplace(scratch_parent(), request.run_id);
  request.tmp_dir = m_scratch->path() / "tmp";
  create_dir(request.tmp_dir, "scratch directory");
  if (!m_plan.work_dir_given) {
    request.work_dir = m_scratch->path() / "work";
  }
}

void PluginRun::start_lane(const Plugin& plugin)
{
  m_clock.mark("plugin resolved");
  m_lane = m_lanes(plugin.kind());
  if (m_lane) {
    m_lane->prepare(plugin, m_options.lane_options);
  }
#ifndef MDIVICOM_CRYPTO_BUILTIN
  m_loading_crypto = load_module_in_background(k_crypto_module, k_crypto_entry);
#endif
  m_clock.mark("lane prepared");
}

nlohmann::json PluginRun::plan_summary()
{
  const RunRequest& request = m_plan.request;
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
      {"config_hash_sha256", m_plan.config.hash},
      {"config", redact(m_plan.config.value)},
      {"dry_run", request.dry_run},
      {"lane", m_lane->describe(shown)},
  };
}

std::optional<ExitCode> PluginRun::check_up_to_date()
{
  const RunRequest& request = m_plan.request;
  FileHashCache cache(FileHashCache::default_dir()); // the dataset's hashes, then the outputs'
  std::vector<std::string> lines;
  DatasetIdentityOptions identity_options;
  identity_options.cache = &cache;
  identity_options.lines = &lines;
  m_dataset = dataset_identity(request.dataset_dir, m_dataset_hash, identity_options);
  m_clock.mark("dataset identity");
  m_key = make_run_key(request, m_plan.config.hash, m_dataset, std::move(lines), m_lane->code_identity(request));
  m_clock.mark("code identity and run key");
  const FreshnessCheck check =
      check_freshness(request.out_root, request.plugin.id(), {*m_key, redact(m_plan.config.value)}, cache);
  cache.save();
  m_clock.mark("up-to-date check");
  const std::string what = request.plugin.ref() + " on " + printable(request.dataset_dir.string());
  if (m_options.explain) {
    std::fputs((what + ": " +
                (check.state == Freshness::up_to_date ? check.explanation() : "runs: " + check.explanation()) + "\n")
                   .c_str(),
               stdout);
    std::fflush(stdout);
  }
  switch (check.state) {
  case Freshness::no_outputs: return std::nullopt;
  case Freshness::up_to_date:
    if (!m_options.force) {
      m_up_to_date_run = check.run_id;
      spdlog::info("{} is up to date (run {}): nothing to do; --force runs it again", what, check.run_id);
      return ExitCode::ok;
    }
    m_replace_outputs = true;
    return std::nullopt;
  case Freshness::out_of_date:
  case Freshness::unrecorded_outputs:
    if (m_options.overwrite) {
      return std::nullopt;
    }
    throw Error(printable(request.plugin_out_dir.string()) + " holds " +
                    (check.run_id.empty() ? std::string("outputs") : "the outputs of run " + check.run_id) +
                    ", and this run would differ: " + check.explanation() +
                    ". Pass --overwrite to replace them once the new run succeeds, or choose another --out",
                ExitCode::out_of_date);
  }
  return std::nullopt;
}

void PluginRun::prepare_directories()
{
  RunRequest& request = m_plan.request;
  if (std::string problem = m_lane->refusal(request); !problem.empty()) {
    throw usage_error(problem);
  }
  m_runs_dir = request.out_root / "_runs";
  create_dir(m_runs_dir, "run record directory");
  // Checked again now that O and O/_runs exist: a link that dangled when the run was planned
  // may resolve to them (or into the dataset) by now.
  check_write_roots(request, m_plan.work_dir_given, scratch_parent());
  create_dir(request.work_dir, "work directory");
  check_write_roots(request, m_plan.work_dir_given, scratch_parent());
  m_interrupts.emplace();
  m_slot.emplace(request.plugin_out_dir, m_runs_dir, request.run_id); // a killed run's parked outputs back first
  m_clock.mark("directories and output slot");
}

void PluginRun::claim_outputs()
{
  m_slot->claim(m_options.overwrite || m_replace_outputs);
  m_reserve.emplace(m_runs_dir, m_plan.request.plugin.id()); // before the plugin can fill the disk
}

void PluginRun::start_record()
{
  const RunRequest& request = m_plan.request;
  m_record_path = m_runs_dir / (request.run_id + ".json");
  m_record = initial_record(m_plan);
  if (!m_slot->parked_dir().empty()) {
    m_record["previous_outputs"] = {{"parked_at", m_slot->parked_dir().string()}, {"outcome", "pending"}};
  }
  if (!m_slot->recovered().is_null()) {
    m_record["recovered_outputs"] = m_slot->recovered();
  }
  m_record["dataset"] = m_dataset;
  if (is_dataset_archive(m_options.dataset)) {
    m_record["dataset"]["archive"] = {{"path", resolved_path(m_options.dataset).string()},
                                      {"sha256", prepared_archive_sha256(request.dataset_dir)}};
  }
  m_record["key"] = m_key->to_json();
  write_inputs_file(inputs_file_path(m_runs_dir, request.run_id), request.run_id, *m_key);
  m_record_guard.emplace(m_record_path, m_record); // a runner failure after the next line still ends the record
  write_record(m_record_path, m_record, Durability::atomic); // the final record replaces it
  m_record_guard->arm();
  m_clock.mark("running record written");
  spdlog::info("run {}: {} on {}", request.run_id, request.plugin.ref(), request.dataset_dir.string());
}

RunOutcome PluginRun::execute()
{
  const RunRequest& request = m_plan.request;
  // The plugin inherits the environment: its tokens are scrubbed as the config's secrets are.
  m_secrets = secret_strings(m_plan.config.value);
  for (auto& value : secret_env_values(environ)) {
    m_secrets.push_back(std::move(value));
  }
  m_log.emplace(request.log_path, m_secrets, m_options.echo_output, m_log_limit);
  m_crate.emplace(request.out_root, request.run_id); // reads the crate while the plugin runs
  m_started_at = utc_timestamp_now();
  m_started = std::chrono::steady_clock::now();
  RunOutcome outcome;
  try {
    outcome = m_lane->execute(request, *m_log);
  } catch (const std::exception& e) {
    outcome.status = interrupt_requested() ? RunStatus::cancelled : RunStatus::failed;
    outcome.error = run_error(RunError::runner, e.what());
  }
  m_clock.mark("lane executed the plugin");
  m_removing_scratch = start_or_run([this] { m_scratch->remove(); });
  return outcome;
}

} // namespace mdivicom
