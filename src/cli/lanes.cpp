#include "cli/commands.hpp"

#include "core/error.hpp"
#include "lanes/container/container.hpp"
#include "lanes/inproc/inproc.hpp"

namespace mdivicom::cli {

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
  if (backend == "auto" || backend == "python") {
    m_warm_python = make_lane("python");
    m_warm_python->warm_up(lane_options);
  }
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
