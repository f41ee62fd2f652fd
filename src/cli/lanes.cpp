#include "cli/commands.hpp"

#include "core/util/error.hpp"
#include "lanes/container/container.hpp"
#include "lanes/inproc/inproc.hpp"

namespace mdivicom::cli {

namespace {

// Held from EarlyPythonWorker until RunLanes takes it (or the EarlyPythonWorker ends).
std::unique_ptr<Lane> g_early_python;

} // namespace

EarlyPythonWorker::EarlyPythonWorker(const std::optional<RunOptions>& run)
{
  if (run && RunLanes::warms_python(run->backend)) {
    g_early_python = make_lane("python");
    g_early_python->warm_up(run->lane_options);
  }
}

EarlyPythonWorker::~EarlyPythonWorker()
{
  g_early_python.reset();
}

std::unique_ptr<Lane> make_lane(const std::string& kind)
{
  if (kind == "python") {
    return inproc::make_python_lane();
  }
  if (kind == "container") {
    return container::make_container_lane();
  }
  return nullptr;
}

RunLanes::RunLanes(const std::string& backend, const nlohmann::json& lane_options) : m_backend(backend)
{
  if (auto engine = lane_options.find("engine"); engine != lane_options.end() && engine->is_string()) {
    m_engine = engine->get<std::string>();
  }
  std::unique_ptr<Lane> early = std::move(g_early_python);
  if (warms_python(backend)) {
    m_warm_python = early ? std::move(early) : make_lane("python");
    m_warm_python->warm_up(lane_options);
  }
}

bool RunLanes::warms_python(const std::string& backend)
{
  return backend == "auto" || backend == "python";
}

std::unique_ptr<Lane> RunLanes::make(const std::string& kind)
{
  if (kind == "python" && m_warm_python) {
    return std::move(m_warm_python);
  }
  m_warm_python.reset();
  // --backend python with a container plugin is refused by the plan, with its own message.
  if (kind == "container" && m_backend != "python") {
    const std::string backend = m_backend == "docker" || m_backend == "podman" ? m_backend : "auto";
    if (std::string problem = container::engine_settings_problem(m_engine, backend); !problem.empty()) {
      throw usage_error(problem);
    }
  }
  return make_lane(kind);
}

} // namespace mdivicom::cli
