#include "cli/commands.hpp"

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

RunLanes::RunLanes(const std::string& backend, const nlohmann::json& lane_options)
{
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
  return make_lane(kind);
}

} // namespace mdivicom::cli
