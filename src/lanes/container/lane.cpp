#include "lanes/container/container.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "core/util/interrupt.hpp"
#include "core/util/module.hpp"
#include "core/run/outcome_error.hpp"
#include "core/run/output_sweep.hpp"
#include "lanes/container/engine/engine.hpp"
#include "lanes/container/engine/http_transport.hpp"
#include "lanes/container/gpu_runtime.hpp"
#include "lanes/container/image/image.hpp"
#include "lanes/container/lifecycle.hpp"
#include "lanes/container/plan.hpp"
#include "lanes/container/runner.hpp"
#include "lanes/container/exposure/special_files.hpp"
#include "lanes/container/exposure/submounts.hpp"
#include "core/util/text_bytes.hpp"

namespace mdivicom::container {

namespace {

using Clock = std::chrono::steady_clock;

RunOutcome failed(const std::string& backend, RunError kind, const std::string& message)
{
  RunOutcome outcome;
  outcome.status = RunStatus::failed;
  outcome.backend = backend;
  outcome.error = run_error(kind, message);
  return outcome;
}

// The mounts below the dataset and the link targets, each to be bound read-only on its own.
std::vector<LinkBind> read_only_submounts(const RunRequest& request, const ContainerEntry& entry,
                                          const std::vector<LinkBind>& links)
{
  std::vector<LinkBind> sources = {{request.dataset_dir, entry.mounts.dataset}};
  sources.insert(sources.end(), links.begin(), links.end());
  return submount_binds(sources);
}

std::string option(const RunRequest& request, const char* key)
{
  return request.options.contains(key) && request.options[key].is_string() ? request.options[key].get<std::string>()
                                                                           : "";
}

LifecycleOptions lifecycle_options(const RunRequest& request)
{
  LifecycleOptions options;
  options.timeout_s = request.timeout_s;
  if (request.options.contains("stop_grace") && request.options["stop_grace"].is_number()) {
    options.stop_grace_s = std::max(0.0, request.options["stop_grace"].get<double>());
  }
  return options;
}

// The container user for entry.user: the caller's uid:gid so that outputs belong to them; on
// a rootless engine container uid 0 already is the caller.
std::string container_user(const ContainerEntry& entry, bool rootless)
{
  if (entry.user == "image") {
    return "";
  }
  if (rootless) {
    return "0:0";
  }
  return std::to_string(getuid()) + ":" + std::to_string(getgid());
}

// The caller's supplementary groups, for a container that runs as the caller: a dataset that
// the caller reads through one (a lab's project group) is then readable in the container too.
// Not for rootless engines: their user namespace maps the caller's uid and gid only.
std::vector<std::string> container_groups(const ContainerEntry& entry, bool rootless)
{
  if (entry.user == "image" || rootless) {
    return {};
  }
  std::vector<gid_t> groups(static_cast<size_t>(std::max(getgroups(0, nullptr), 0)));
  const int count = getgroups(static_cast<int>(groups.size()), groups.data());
  std::vector<std::string> result;
  for (int i = 0; i < count; ++i) {
    const gid_t gid = groups[static_cast<size_t>(i)];
    const std::string text = std::to_string(gid);
    if (gid != getgid() && std::find(result.begin(), result.end(), text) == result.end()) {
      result.push_back(text);
    }
  }
  return result;
}

Result<std::filesystem::path> write_config(const RunRequest& request)
{
  if (request.tmp_dir.empty()) {
    return Failure{"internal: the run has no scratch directory for the config file"};
  }
  std::filesystem::path path = request.tmp_dir / "config.json";
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << request.config_text;
  file.close();
  if (!file) {
    return Failure{"cannot write the config file " + path.string()};
  }
  // Readable by whichever user the image runs as; the scratch directory stays private.
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                         std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  return path;
}

std::vector<std::string> taken_paths(const MountPaths& paths)
{
  return {paths.out, paths.work, paths.config};
}

// The read-only binds of the dataset's links, once nothing the dataset, the link targets or the
// work directory show the container is a socket, device or FIFO (the output directory is
// checked once it is claimed).
Result<std::vector<LinkBind>> checked_link_binds(const RunRequest& request, const ContainerEntry& entry)
{
  auto links = dataset_link_binds(request.dataset_dir, entry.mounts.dataset, taken_paths(entry.mounts));
  if (links) {
    if (std::string problem = writable_bind_problem(request.work_dir, "the work directory"); !problem.empty()) {
      return Failure{problem};
    }
  }
  return links;
}

class ContainerLane : public Lane
{
public:
  void prepare(const Plugin& /*plugin*/, const nlohmann::json& /*options*/) override
  {
    // libcurl and its ~30 libraries take 15-20 ms to load: done while core plans the run. A
    // failure to load is reported by the first engine request.
    m_loading_curl = load_module_in_background(k_curl_module, k_curl_entry);
  }

  RunOutcome execute(const RunRequest& request, OutputSink& output) override
  {
    loaded();
    try {
      return run(request, output);
    } catch (const std::exception& e) {
      RunOutcome outcome = failed(request.backend, RunError::runner, std::string("container lane: ") + e.what());
      sweep_writable_binds(request, outcome, outcome.facts["container"]);
      return outcome;
    }
  }

  std::string refusal(const RunRequest& request) override
  {
    auto entry = ContainerEntry::parse(request.plugin);
    if (!entry) {
      return {}; // execute() reports it with the run's record
    }
    auto links = checked_link_binds(request, *entry);
    if (!links) {
      return links.error();
    }
    m_checked_links = std::move(*links);
    return {};
  }

  // The local image's ID, found without pulling or loading (an absent image: no ID, so the
  // run is not up to date), and the engine that has it.
  CodeIdentity code_identity(const RunRequest& request) override
  {
    loaded();
    CodeIdentity identity;
    auto entry = ContainerEntry::parse(request.plugin);
    if (!entry) {
      return identity;
    }
    identity.summary = {{"source", "image"}, {"image", entry->image}, {"image_id", nullptr}};
    auto ref = ImageRef::parse(entry->image);
    auto engine = open_engine(option(request, "engine"), request.backend.empty() ? "auto" : request.backend);
    if (!ref || !engine) {
      return identity;
    }
    if (auto image = resolve_image(*engine, *ref, PullPolicy::never, std::nullopt, {})) {
      identity.summary["image_id"] = image->id;
    }
    return identity;
  }

  nlohmann::json describe(const RunRequest& request) override;

private:
  std::optional<std::vector<LinkBind>> m_checked_links; // by refusal()

  RunOutcome run(const RunRequest& request, OutputSink& output);

  void loaded()
  {
    if (m_loading_curl.joinable()) {
      m_loading_curl.join();
    }
  }

  std::jthread m_loading_curl;
};

RunOutcome ContainerLane::run(const RunRequest& request, OutputSink& output)
{
  auto begin = Clock::now();
  auto entry = ContainerEntry::parse(request.plugin);
  if (!entry) {
    return failed(request.backend, RunError::manifest, entry.error());
  }
  auto ref = ImageRef::parse(entry->image);
  auto policy = parse_pull_policy(option(request, "pull"));
  if (!ref || !policy) {
    return failed(request.backend, RunError::manifest,
                  !ref ? request.plugin.origin() + ": " + ref.error() : policy.error());
  }
  auto engine = open_engine(option(request, "engine"), request.backend.empty() ? "auto" : request.backend);
  if (!engine) {
    return failed(request.backend, RunError::engine_unavailable, engine.error());
  }
  const EngineInfo& info = engine->info();
  if ((request.backend == "docker" || request.backend == "podman") && request.backend != info.name) {
    spdlog::warn("--backend {} was asked for, but the engine at {} is {} {}; recording {}", request.backend,
                 info.socket, info.name, info.version, info.name);
  }
  nlohmann::json facts = {{"engine", info.to_json()}, {"requested_backend", request.backend}};
  auto fail = [&](RunError kind, const std::string& message) {
    RunOutcome outcome = failed(info.name, kind, message);
    outcome.facts["container"] = facts;
    return outcome;
  };

  if (entry->resources.gpus) {
    if (std::string refusal = gpu_refusal(info); !refusal.empty()) {
      return fail(RunError::start_failed, refusal);
    }
  }

  nlohmann::json reaped = reap_leftovers(*engine, false);
  if (!reaped["removed"].empty()) {
    spdlog::info("removed {} container(s) left by earlier runs that were killed", reaped["removed"].size());
    facts["reaped_leftovers"] = reaped["removed"];
  }

  auto image = resolve_image(*engine, *ref, *policy, entry->image_archive,
                             [](const std::string& line) { spdlog::info("{}", line); });
  if (!image) {
    RunOutcome outcome = fail(RunError::image, image.error());
    set_stopped(outcome, interrupt_requested() ? StopReason::cancelled : StopReason::none, image.error());
    return outcome;
  }
  facts["image"] = image->to_json();

  auto links = m_checked_links ? Result<std::vector<LinkBind>>(*m_checked_links) : checked_link_binds(request, *entry);
  if (!links) {
    return fail(RunError::unsafe_bind, links.error());
  }
  if (std::string problem = writable_bind_problem(request.plugin_out_dir, "the output directory"); !problem.empty()) {
    return fail(RunError::unsafe_bind, problem);
  }
  for (const auto& bind : *links) {
    if (bind.widened) {
      spdlog::warn("showing only the targets of dataset {}'s links into {} would take more than {} binds; the "
                   "container sees all of {} (read-only), not only the linked files",
                   request.dataset_dir.string(), bind.host.string(), k_max_exact_link_binds, bind.host.string());
    }
  }
  auto config = write_config(request);
  if (!config) {
    return fail(RunError::runner, config.error());
  }
  PlanInput input{.image = image->id,
                  .user = container_user(*entry, info.rootless),
                  .groups = container_groups(*entry, info.rootless),
                  .config_file = *config,
                  .link_binds = *links,
                  .submount_binds = read_only_submounts(request, *entry, *links),
                  .labels = run_labels(request),
                  .writable_nosuid_nodev = info.name == "podman"};
  ContainerPlan plan = plan_container(request, *entry, input);
  facts.update(plan.facts);
  facts["timing"]["prepare_s"] = std::round(std::chrono::duration<double>(Clock::now() - begin).count() * 1000) / 1000;
  if (interrupt_requested()) {
    const std::string message = "interrupted before the container was created";
    RunOutcome outcome = fail(RunError::cancelled, message);
    set_stopped(outcome, StopReason::cancelled, message); // the status goes with the error
    return outcome;
  }

  RunOutcome outcome = run_container(*engine, plan, lifecycle_options(request), output, facts);
  sweep_writable_binds(request, outcome, facts);
  facts["timing"]["total_s"] = std::round(std::chrono::duration<double>(Clock::now() - begin).count() * 1000) / 1000;
  outcome.facts["container"] = facts;
  return outcome;
}

nlohmann::json ContainerLane::describe(const RunRequest& request)
{
  loaded();
  auto entry = ContainerEntry::parse(request.plugin);
  if (!entry) {
    return {{"error", entry.error()}};
  }
  std::string backend = request.backend.empty() ? "auto" : request.backend;
  nlohmann::json candidates = nlohmann::json::array();
  if (auto list = engine_candidates(option(request, "engine"), backend)) {
    for (const auto& candidate : *list) {
      candidates.push_back({{"socket", candidate.socket}, {"source", candidate.source}});
    }
  }
  auto links = dataset_link_binds(request.dataset_dir, entry->mounts.dataset, taken_paths(entry->mounts));
  if (!links) {
    return {{"error", links.error()}};
  }
  PlanInput input{.image = "{image_id}",
                  .user = container_user(*entry, false),
                  .groups = container_groups(*entry, false),
                  .config_file = request.tmp_dir / "config.json",
                  .link_binds = *links,
                  .submount_binds = read_only_submounts(request, *entry, *links),
                  .labels = run_labels(request),
                  .writable_nosuid_nodev = backend == "podman"};
  ContainerPlan plan = plan_container(request, *entry, input);
  std::string container = "/containers/{container_id}";
  bool podman = backend == "podman";
  nlohmann::json requests = nlohmann::json::array({
      {{"method", "GET"}, {"path", "/version"}},
      {{"method", "GET"}, {"path", Engine::api("/info")}},
      {{"method", "GET"},
       {"path",
        Engine::api("/containers/json?all=1&filters=" +
                    percent_encode(
                        nlohmann::json({{"label", {"mdivicom.runner.host=" + RunnerIdentity::self().host}}}).dump()))}},
      {{"method", "GET"}, {"path", Engine::api("/images/" + entry->image + "/json")}},
      {{"method", "POST"}, {"path", Engine::api("/containers/create?name=" + plan.name)}, {"body", plan.create_body}},
      {{"method", "POST"}, {"path", Engine::api(container + "/attach?stream=1&stdout=1&stderr=1")}},
      {{"method", "POST"}, {"path", Engine::api(container + "/start")}},
      {{"method", "POST"},
       {"path", podman ? Engine::libpod(container + "/wait?condition=stopped&condition=exited&interval=20ms")
                       : Engine::api(container + "/wait?condition=not-running")}},
      {{"method", "GET"}, {"path", Engine::api(container + "/json")}},
      {{"method", "DELETE"}, {"path", Engine::api(container + "?force=1&v=1")}},
  });
  return {
      {"lane", "container"},
      {"engine_candidates", candidates},
      {"requests", requests},
      {"placeholders",
       {{"{image_id}", "the ID the image " + entry->image + " resolves to (pulled or loaded from " +
                           (entry->image_archive ? entry->image_archive->string() : std::string("a registry")) +
                           " when absent, per --pull)"},
        {"{container_id}", "the ID the engine gives the container"}}},
      {"notes",
       {"the first reachable engine socket is used; on Podman the wait goes to the libpod endpoint",
        "once the output stream ends, the inspect is sent until it shows the container exited (before the wait "
        "answers, which on Podman comes only after its cleanup)",
        "on a rootless engine the user is 0:0, which is the caller outside the container",
        "on timeout or interrupt: POST " + Engine::api(container + "/stop?t=<grace>") + ", then kill"}},
  };
}

} // namespace

std::unique_ptr<Lane> make_container_lane()
{
  return std::make_unique<ContainerLane>();
}

std::string engine_settings_problem(const std::string& engine_option, const std::string& backend)
{
  auto candidates = engine_candidates(engine_option, backend);
  return candidates ? std::string() : candidates.error();
}

} // namespace mdivicom::container
