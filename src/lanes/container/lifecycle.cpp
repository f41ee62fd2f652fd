#include "lanes/container/lifecycle.hpp"

#include "lanes/container/gpu_runtime.hpp"

#include <chrono>
#include <cmath>
#include <functional>
#include <map>

#include <spdlog/spdlog.h>

#include "core/run/outcome_error.hpp"
#include "core/util/interrupt.hpp"
#include "lanes/container/engine/demux.hpp"
#include "lanes/container/exit_state.hpp"
#include "lanes/container/runner.hpp"
#include "lanes/container/stats.hpp"

namespace mdivicom::container {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start)
{
  return std::round(std::chrono::duration<double>(Clock::now() - start).count() * 1000) / 1000;
}

// Removes the container on every path out of run_container, recording whether it worked.
class RemoveOnExit
{
public:
  RemoveOnExit(const Engine& engine, std::string id, nlohmann::json& facts)
    : m_engine(engine), m_id(std::move(id)), m_facts(facts)
  {}
  ~RemoveOnExit()
  {
    auto begin = Clock::now();
    std::string error = remove_container(m_engine, m_id);
    m_facts["timing"]["remove_s"] = seconds_since(begin);
    m_facts["removed"] = error.empty();
    if (!error.empty()) {
      m_facts["remove_error"] = error + " (it is removed by the next run or 'mdivicom gc')";
    }
  }
  RemoveOnExit(const RemoveOnExit&) = delete;
  RemoveOnExit& operator=(const RemoveOnExit&) = delete;

private:
  const Engine& m_engine;
  std::string m_id;
  nlohmann::json& m_facts;
};

// The hints that turn an engine's start failure into something to do.
std::string start_hint(const Engine& engine, const std::string& error)
{
  if (error.find("executable file not found") != std::string::npos || error.find("no such file") != std::string::npos) {
    return "; check entry.argv / entry.entrypoint against the programs in the image";
  }
  if (engine.is_podman() && error.find("init") != std::string::npos) {
    return "; Podman runs an init process from catatonit: install it ('apt-get install catatonit')";
  }
  return "";
}

class ContainerRun
{
public:
  ContainerRun(const Engine& engine, std::string id, const LifecycleOptions& options, OutputSink& sink,
               nlohmann::json& facts)
    : m_engine(engine), m_id(std::move(id)), m_options(options), m_facts(facts), m_group(engine.socket()), m_demux(sink)
  {}

  // Attaches before starting so that not a byte of output is lost, then starts.
  bool attach_and_start(RunOutcome& outcome)
  {
    auto attaching = Clock::now();
    HttpRequest attach("POST", Engine::api("/containers/" + m_id + "/attach?stream=1&stdout=1&stderr=1"));
    attach.on_data = [this](std::string_view data) { m_demux.feed(data); };
    // An error status (a 404 for a container gone already) is no attachment: its body is the error.
    attach.on_headers = [this](long status) { m_attached = status == 101 || status == 200; };
    m_attach = start_transfer(std::move(attach));
    auto give_up = Clock::now() + std::chrono::seconds(30);
    while (!m_attached && m_attach != 0 && Clock::now() < give_up) {
      for (auto& [id, response] : run_group(-1, 100, [this] { return m_attached; })) {
        if (id == m_attach) {
          m_attach = 0;
          outcome.error =
              run_error(RunError::start_failed,
                        "cannot attach to the container's output: " +
                            (response.transport_ok() ? "HTTP " + std::to_string(response.status) + " " + response.body
                                                     : m_engine.lost_message(response.error)));
          return false;
        }
      }
    }
    if (!m_attached) {
      outcome.error = run_error(RunError::start_failed, "the engine did not attach to the container's output in 30 s");
      return false;
    }
    m_facts["timing"]["attach_s"] = seconds_since(attaching);
    auto starting = Clock::now();
    ApiResult started = m_engine.call("POST", Engine::api("/containers/" + m_id + "/start"));
    m_started = Clock::now();
    m_facts["timing"]["start_s"] = seconds_since(starting);
    if (!started.ok()) {
      std::string message = gpu_runtime_problem(m_engine.info(), started.error); // Docker says so here
      if (message.empty()) {
        message = "the container did not start: " + started.error + start_hint(m_engine, started.error);
      }
      outcome.error = run_error(RunError::start_failed, message);
      return false;
    }
    start_stats();
    return true;
  }

  // CPU time and peak memory from the engine's stats while the container runs (stats.hpp).
  nlohmann::json resources() const { return m_sampler.resources(); }

  // Runs until the container exits (or the engine goes away); why it was stopped, if it was.
  StopReason wait(RunOutcome& outcome)
  {
    // Podman's compat wait polls every 0.3-0.6 s; its own wait takes an interval.
    std::string target =
        m_engine.has_libpod()
            ? Engine::libpod("/containers/" + m_id + "/wait?condition=stopped&condition=exited&interval=20ms")
            : Engine::api("/containers/" + m_id + "/wait?condition=not-running");
    m_wait = start_transfer(HttpRequest("POST", target));
    std::optional<Clock::time_point> deadline;
    if (m_options.timeout_s) {
      deadline = m_started + std::chrono::milliseconds(static_cast<long>(*m_options.timeout_s * 1000));
    }
    StopReason stop_reason = StopReason::none;
    std::optional<Clock::time_point> stop_deadline;
    while (m_wait != 0) {
      int wake = stop_reason == StopReason::none ? interrupt_fd() : -1;
      for (auto& [id, response] : run_group(wake, m_inspect_until ? 15 : 100)) {
        handle(id, response, outcome);
      }
      if (m_wait != 0 && m_inspect_until && Clock::now() < *m_inspect_until) {
        settle_from_inspect(outcome);
      }
      if (m_wait == 0) {
        break;
      }
      if (stop_reason == StopReason::none && interrupt_requested()) {
        stop_reason = StopReason::cancelled;
      } else if (stop_reason == StopReason::none && deadline && Clock::now() >= *deadline) {
        stop_reason = StopReason::timeout;
      } else if (stop_deadline && Clock::now() >= *stop_deadline) {
        m_group.abandon(m_wait);
        m_wait = 0;
        outcome.error = run_error(RunError::stop_failed, "the container did not stop within " +
                                                             std::to_string(static_cast<int>(m_options.stop_grace_s)) +
                                                             " s of the stop request and a kill");
        break;
      }
      if (stop_reason != StopReason::none && !stop_deadline) {
        request_stop(stop_reason);
        stop_deadline = Clock::now() + std::chrono::milliseconds(static_cast<long>(m_options.stop_grace_s * 1000)) +
                        std::chrono::seconds(60);
      }
    }
    m_facts["timing"]["run_s"] = seconds_since(m_started);
    if (m_stats != 0) {
      abandon(m_stats); // its cgroup is gone: nothing more to sample
      m_stats = 0;
    }
    drain_output();
    return stop_reason;
  }

  // The engine's inspect of the stopped container, when the run already read it.
  const nlohmann::json& final_inspect() const { return m_final_inspect; }

private:
  struct Transfer
  {
    std::string method;
    std::string target;
    Clock::time_point begin;
  };

  int start_transfer(HttpRequest request)
  {
    Transfer transfer{request.method, request.target, Clock::now()};
    int id = m_group.start(std::move(request));
    m_transfers[id] = std::move(transfer);
    return id;
  }

  std::vector<std::pair<int, HttpResponse>> run_group(int wake_fd, int timeout_ms,
                                                      const std::function<bool()>& until = {})
  {
    auto done = m_group.run(wake_fd, timeout_ms, until);
    for (const auto& [id, response] : done) {
      if (auto it = m_transfers.find(id); it != m_transfers.end()) {
        log_request(it->second.method, it->second.target, response, it->second.begin);
        m_transfers.erase(it);
      }
    }
    return done;
  }

  void abandon(int id)
  {
    m_group.abandon(id);
    m_transfers.erase(id);
  }

  // Abandoned once the wait returns: neither engine ends the stream when the container exits.
  void start_stats()
  {
    // Podman's compat stats come every 5 s; its own take an interval.
    HttpRequest stats("GET", m_engine.has_libpod()
                                 ? Engine::libpod("/containers/stats?containers=" + m_id + "&stream=true&interval=1")
                                 : Engine::api("/containers/" + m_id + "/stats?stream=true"));
    stats.on_data = [this](std::string_view data) { m_sampler.feed(data); };
    m_stats = start_transfer(std::move(stats));
  }

  void handle(int id, const HttpResponse& response, RunOutcome& outcome)
  {
    if (id == m_stats) {
      m_stats = 0; // the stats are a record's extra: their failure fails nothing
      return;
    }
    if (id == m_attach) {
      m_attach = 0;
      if (m_wait != 0 && response.transport_ok()) {
        m_inspect_until = Clock::now() + std::chrono::seconds(2);
      }
      return;
    }
    if (id == m_stop) {
      m_stop = 0;
      // 304: it had stopped already. Anything else: the stop failed, so kill outright.
      if (!response.transport_ok() || (response.status >= 400)) {
        m_engine.call("POST", Engine::api("/containers/" + m_id + "/kill?signal=KILL"));
      }
      return;
    }
    if (id != m_wait) {
      return;
    }
    m_wait = 0;
    if (!response.transport_ok()) {
      outcome.error = run_error(RunError::engine_lost, m_engine.lost_message(response.error));
      return;
    }
    if (response.status != 200) {
      outcome.error = run_error(RunError::wait_failed, "waiting for the container failed: HTTP " +
                                                           std::to_string(response.status) + " " + response.body);
      return;
    }
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (m_engine.has_libpod() && body.is_number_integer()) {
      outcome.exit_code = body.get<int>();
    } else if (body.is_object() && body.contains("StatusCode")) {
      outcome.exit_code = body["StatusCode"].get<int>();
    } else {
      outcome.error =
          run_error(RunError::wait_failed, "the engine's wait answer is not an exit status: " + response.body);
    }
  }

  // The output stream ends with the exit, and an inspect then has the exit state, OOM kill
  // included, so one request settles the run. That matters on Podman, whose wait answers only
  // after its cleanup process has run, 0.15-0.3 s after the exit (its inspect syncs the state
  // with the runtime, a few milliseconds after the stream ended). For 2 s after the stream
  // ended the container is inspected every 15 ms; a container that closed its output and runs
  // on is left to the wait.
  void settle_from_inspect(RunOutcome& outcome)
  {
    ApiResult inspect = m_engine.call("GET", Engine::api("/containers/" + m_id + "/json"), nullptr, 5000);
    if (!inspect.ok() || !inspect.body.is_object()) {
      return;
    }
    auto state = inspect.body.value("State", nlohmann::json::object());
    std::string status = state.value("Status", "");
    if ((status != "exited" && status != "stopped") || !state.contains("ExitCode") ||
        !state["ExitCode"].is_number_integer()) {
      spdlog::debug("engine: the output stream ended, the container is still {}", status);
      return;
    }
    outcome.exit_code = state["ExitCode"].get<int>();
    m_final_inspect = std::move(inspect.body);
    abandon(m_wait);
    m_wait = 0;
  }

  void request_stop(StopReason reason)
  {
    m_facts["stop"] = {
        {"reason", to_string(reason)}, {"grace_s", m_options.stop_grace_s}, {"after_s", seconds_since(m_started)}};
    long grace = std::lround(std::ceil(m_options.stop_grace_s));
    HttpRequest stop("POST", Engine::api("/containers/" + m_id + "/stop?t=" + std::to_string(grace)));
    stop.timeout_ms = (grace + 30) * 1000;
    m_stop = start_transfer(std::move(stop));
  }

  // The output stream ends shortly after the container; what is still in flight is kept.
  void drain_output()
  {
    auto give_up = Clock::now() + std::chrono::seconds(5);
    while (m_attach != 0 && Clock::now() < give_up) {
      for (auto& [id, response] : run_group(-1, 100)) {
        if (id == m_attach) {
          m_attach = 0;
        }
      }
    }
    if (m_attach != 0) {
      abandon(m_attach);
      m_attach = 0;
    }
  }

  const Engine& m_engine;
  std::string m_id;
  const LifecycleOptions& m_options;
  nlohmann::json& m_facts;
  HttpGroup m_group;
  FrameDemuxer m_demux;
  std::map<int, Transfer> m_transfers; // in flight, for the --verbose request timings
  int m_attach = 0;
  bool m_attached = false;
  int m_wait = 0;
  int m_stop = 0;
  int m_stats = 0;
  StatsSampler m_sampler;
  Clock::time_point m_started = Clock::now();
  nlohmann::json m_final_inspect;
  std::optional<Clock::time_point> m_inspect_until; // Podman, once the output ended
};

// The inspect of the stopped container: the one the run already read, or a fresh one.
nlohmann::json inspect_stopped(const Engine& engine, const std::string& id, const nlohmann::json& inspected)
{
  if (inspected.is_object()) {
    return inspected;
  }
  ApiResult inspect = engine.call("GET", Engine::api("/containers/" + id + "/json"));
  return inspect.ok() ? inspect.body : nlohmann::json();
}

} // namespace

RunOutcome run_container(const Engine& engine, const ContainerPlan& plan, const LifecycleOptions& options,
                         OutputSink& sink, nlohmann::json& facts)
{
  RunOutcome outcome;
  outcome.backend = engine.info().name;
  auto begin = Clock::now();
  ApiResult created = engine.call("POST", Engine::api("/containers/create?name=" + plan.name), plan.create_body);
  if (!created.ok()) {
    outcome.status = RunStatus::failed;
    std::string message = gpu_runtime_problem(engine.info(), created.error);
    if (message.empty()) {
      message = "cannot create the container: " + created.error;
    }
    outcome.error = run_error(RunError::start_failed, message);
    return outcome;
  }
  std::string id = created.body.value("Id", "");
  facts["container_id"] = id;
  // The engine may drop settings it cannot apply (memory or pids limits on a host without the
  // cgroup controllers) and only say so here: the record must not claim them silently.
  if (auto warnings = created.body.find("Warnings"); warnings != created.body.end() && warnings->is_array()) {
    for (const auto& warning : *warnings) {
      if (warning.is_string() && !warning.get<std::string>().empty()) {
        facts["engine_warnings"].push_back(warning);
        spdlog::warn("{} (the engine, creating the container)", warning.get<std::string>());
      }
    }
  }
  facts["timing"]["create_s"] = seconds_since(begin);
  StopReason stop_reason = StopReason::none;
  {
    RemoveOnExit remove(engine, id, facts);
    ContainerRun run(engine, id, options, sink, facts);
    if (run.attach_and_start(outcome)) {
      stop_reason = run.wait(outcome);
    }
    record_exit_state(inspect_stopped(engine, id, run.final_inspect()), outcome, facts);
    if (nlohmann::json resources = run.resources(); !resources.is_null()) {
      outcome.facts["resources"] = std::move(resources);
    }
  }
  facts["timing"]["lifecycle_s"] = seconds_since(begin);
  facts["exit_code"] = outcome.exit_code ? nlohmann::json(*outcome.exit_code) : nlohmann::json();
  decide_status(stop_reason, outcome, facts);
  return outcome;
}

} // namespace mdivicom::container
