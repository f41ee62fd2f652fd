#include "lanes/container/lifecycle.hpp"

#include <chrono>
#include <cmath>

#include <spdlog/spdlog.h>

#include "core/interrupt.hpp"
#include "lanes/container/demux.hpp"
#include "lanes/container/runner.hpp"

namespace mdivicom::container {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start)
{
  return std::round(std::chrono::duration<double>(Clock::now() - start).count() * 1000) / 1000;
}

nlohmann::json error_json(const std::string& type, const std::string& message)
{
  return {{"type", type}, {"message", message}};
}

// Removes the container on every path out of run_container, recording whether it worked.
class RemoveOnExit
{
public:
  RemoveOnExit(const Engine& engine, std::string id, nlohmann::json& facts)
    : m_engine(engine), m_id(std::move(id)), m_facts(facts)
  {
  }
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
    : m_engine(engine), m_id(std::move(id)), m_options(options), m_facts(facts), m_group(engine.socket()),
      m_demux(sink)
  {
  }

  // Attaches before starting so that not a byte of output is lost, then starts.
  bool attach_and_start(RunOutcome& outcome)
  {
    auto attaching = Clock::now();
    HttpRequest attach("POST", Engine::api("/containers/" + m_id + "/attach?stream=1&stdout=1&stderr=1"));
    attach.on_data = [this](std::string_view data) { m_demux.feed(data); };
    attach.on_headers = [this](long) { m_attached = true; };
    m_attach = m_group.start(std::move(attach));
    auto give_up = Clock::now() + std::chrono::seconds(30);
    while (!m_attached && m_attach != 0 && Clock::now() < give_up) {
      for (auto& [id, response] : m_group.run(-1, 100, [this] { return m_attached; })) {
        if (id == m_attach) {
          m_attach = 0;
          outcome.error = error_json("AttachFailed", "cannot attach to the container's output: " +
                                                       (response.transport_ok() ? "HTTP " + std::to_string(response.status) + " " + response.body
                                                                                : m_engine.lost_message(response.error)));
          return false;
        }
      }
    }
    if (!m_attached) {
      outcome.error = error_json("AttachFailed", "the engine did not attach to the container's output in 30 s");
      return false;
    }
    m_facts["timing"]["attach_s"] = seconds_since(attaching);
    auto starting = Clock::now();
    ApiResult started = m_engine.call("POST", Engine::api("/containers/" + m_id + "/start"));
    m_started = Clock::now();
    m_facts["timing"]["start_s"] = seconds_since(starting);
    if (!started.ok()) {
      outcome.error = error_json("StartFailed", "the container did not start: " + started.error +
                                                  start_hint(m_engine, started.error));
      return false;
    }
    return true;
  }

  // Runs until the container exits (or the engine goes away); "" or the reason it was stopped.
  std::string wait(RunOutcome& outcome)
  {
    bool libpod = m_engine.is_podman() && !m_engine.info().libpod_api_version.empty() &&
                  m_engine.info().libpod_api_version[0] >= '4';
    // Podman's compat wait polls every 0.3-0.6 s; its own wait takes an interval.
    std::string target = libpod ? Engine::libpod("/containers/" + m_id + "/wait?condition=stopped&condition=exited&interval=20ms")
                                : Engine::api("/containers/" + m_id + "/wait?condition=not-running");
    m_wait = m_group.start(HttpRequest("POST", target));
    std::optional<Clock::time_point> deadline;
    if (m_options.timeout_s) {
      deadline = m_started + std::chrono::milliseconds(static_cast<long>(*m_options.timeout_s * 1000));
    }
    std::string stop_reason;
    std::optional<Clock::time_point> stop_deadline;
    while (m_wait != 0) {
      int wake = stop_reason.empty() ? interrupt_fd() : -1;
      for (auto& [id, response] : m_group.run(wake, 100)) {
        handle(id, response, libpod, outcome);
      }
      if (m_wait == 0) {
        break;
      }
      if (stop_reason.empty() && interrupt_requested()) {
        stop_reason = "cancelled";
      } else if (stop_reason.empty() && deadline && Clock::now() >= *deadline) {
        stop_reason = "timeout";
      } else if (stop_deadline && Clock::now() >= *stop_deadline) {
        m_group.abandon(m_wait);
        m_wait = 0;
        outcome.error = error_json("StopFailed", "the container did not stop within " +
                                                   std::to_string(static_cast<int>(m_options.stop_grace_s)) +
                                                   " s of the stop request and a kill");
        break;
      }
      if (!stop_reason.empty() && !stop_deadline) {
        request_stop(stop_reason);
        stop_deadline = Clock::now() + std::chrono::milliseconds(static_cast<long>(m_options.stop_grace_s * 1000)) +
                        std::chrono::seconds(60);
      }
    }
    m_facts["timing"]["run_s"] = seconds_since(m_started);
    drain_output();
    return stop_reason;
  }

private:
  void handle(int id, const HttpResponse& response, bool libpod, RunOutcome& outcome)
  {
    if (id == m_attach) {
      m_attach = 0;
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
      outcome.error = error_json("EngineLost", m_engine.lost_message(response.error));
      return;
    }
    if (response.status != 200) {
      outcome.error = error_json("WaitFailed", "waiting for the container failed: HTTP " +
                                                 std::to_string(response.status) + " " + response.body);
      return;
    }
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (libpod && body.is_number_integer()) {
      outcome.exit_code = body.get<int>();
    } else if (body.is_object() && body.contains("StatusCode")) {
      outcome.exit_code = body["StatusCode"].get<int>();
    } else {
      outcome.error = error_json("WaitFailed", "the engine's wait answer is not an exit status: " + response.body);
    }
  }

  void request_stop(const std::string& reason)
  {
    m_facts["stop"] = {{"reason", reason}, {"grace_s", m_options.stop_grace_s}, {"after_s", seconds_since(m_started)}};
    long grace = std::lround(std::ceil(m_options.stop_grace_s));
    HttpRequest stop("POST", Engine::api("/containers/" + m_id + "/stop?t=" + std::to_string(grace)));
    stop.timeout_ms = (grace + 30) * 1000;
    m_stop = m_group.start(std::move(stop));
  }

  // The output stream ends shortly after the container; what is still in flight is kept.
  void drain_output()
  {
    auto give_up = Clock::now() + std::chrono::seconds(5);
    while (m_attach != 0 && Clock::now() < give_up) {
      for (auto& [id, response] : m_group.run(-1, 100)) {
        if (id == m_attach) {
          m_attach = 0;
        }
      }
    }
    if (m_attach != 0) {
      m_group.abandon(m_attach);
      m_attach = 0;
    }
  }

  const Engine& m_engine;
  std::string m_id;
  const LifecycleOptions& m_options;
  nlohmann::json& m_facts;
  HttpGroup m_group;
  FrameDemuxer m_demux;
  int m_attach = 0;
  bool m_attached = false;
  int m_wait = 0;
  int m_stop = 0;
  Clock::time_point m_started = Clock::now();
};

// Exit state from the engine's own record of the container.
void read_state(const Engine& engine, const std::string& id, RunOutcome& outcome, nlohmann::json& facts)
{
  ApiResult inspect = engine.call("GET", Engine::api("/containers/" + id + "/json"));
  if (!inspect.ok()) {
    return;
  }
  auto state = inspect.body.value("State", nlohmann::json::object());
  facts["oom_killed"] = state.value("OOMKilled", false);
  facts["started_at"] = state.value("StartedAt", "");
  facts["finished_at"] = state.value("FinishedAt", "");
  if (!outcome.exit_code && state.contains("ExitCode") && state.value("Status", "") == "exited") {
    outcome.exit_code = state["ExitCode"].get<int>();
  }
  std::string error = state.value("Error", "");
  if (!error.empty()) {
    facts["engine_error"] = error;
  }
}

void decide_status(const std::string& stop_reason, RunOutcome& outcome, const nlohmann::json& facts)
{
  if (stop_reason == "cancelled") {
    outcome.status = RunStatus::cancelled;
    outcome.error = error_json("Cancelled", "interrupted; the container was stopped and removed");
    return;
  }
  if (stop_reason == "timeout") {
    outcome.status = RunStatus::timeout;
    outcome.error = error_json("Timeout", "the container exceeded --timeout; it was stopped and removed");
    return;
  }
  if (!outcome.error.is_null()) {
    outcome.status = RunStatus::failed;
    return;
  }
  int code = outcome.exit_code.value_or(-1);
  if (facts.value("oom_killed", false) && code != 0) {
    outcome.status = RunStatus::crashed;
    outcome.signal = code == 137 ? std::optional<int>(9) : std::nullopt;
    outcome.error = error_json("OOMKilled", "the container ran out of memory and was killed (exit code " +
                                              std::to_string(code) + "); raise entry.resources.memory");
  } else if (code == 0) {
    // A process inside was killed for memory, but the plugin carried on and succeeded.
    if (facts.value("oom_killed", false)) {
      spdlog::warn("a process in the container ran out of memory and was killed; the plugin still exited 0");
    }
    outcome.status = RunStatus::succeeded;
  } else if (code > 128 && code <= 128 + 64) {
    outcome.status = RunStatus::crashed;
    outcome.signal = code - 128;
    outcome.error = error_json("Signal", "the container's process was killed by signal " +
                                           std::to_string(code - 128) + " (exit code " + std::to_string(code) + ")");
  } else {
    outcome.status = RunStatus::failed;
    outcome.error = error_json("ExitCode", "the container exited with code " + std::to_string(code));
  }
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
    outcome.error = error_json("CreateFailed", "cannot create the container: " + created.error);
    return outcome;
  }
  std::string id = created.body.value("Id", "");
  facts["container_id"] = id;
  facts["timing"]["create_s"] = seconds_since(begin);
  std::string stop_reason;
  {
    RemoveOnExit remove(engine, id, facts);
    ContainerRun run(engine, id, options, sink, facts);
    if (run.attach_and_start(outcome)) {
      stop_reason = run.wait(outcome);
    }
    read_state(engine, id, outcome, facts);
  }
  facts["timing"]["lifecycle_s"] = seconds_since(begin);
  facts["exit_code"] = outcome.exit_code ? nlohmann::json(*outcome.exit_code) : nlohmann::json();
  decide_status(stop_reason, outcome, facts);
  return outcome;
}

} // namespace mdivicom::container
