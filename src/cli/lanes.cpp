#include "cli/commands.hpp"

#include "core/util/error.hpp"
#include "lanes/container/container.hpp"
#include "lanes/inproc/inproc.hpp"

#include <string_view>

namespace mdivicom::cli {

namespace {

// Held from EarlyPythonWorker until RunLanes takes it (or the EarlyPythonWorker ends).
std::unique_ptr<Lane> g_early_python;

// Only the plain form: anything that could change the choice of lane or interpreter, or show
// help, is left to the parsed command line.
bool is_plain_run(int argc, char** argv)
{
  int first = 1;
  while (first < argc && (std::string_view(argv[first]) == "-v" || std::string_view(argv[first]) == "--verbose")) {
    ++first;
  }
  if (first >= argc || std::string_view(argv[first]) != "run") {
    return false;
  }
  for (int i = first + 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      break;
    }
    if (arg.starts_with("--backend") || arg.starts_with("--python-env") || arg == "-h" || arg == "--help") {
      return false;
    }
  }
  return true;
}

} // namespace

EarlyPythonWorker::EarlyPythonWorker(int argc, char** argv)
{
  if (is_plain_run(argc, argv)) {
    g_early_python = make_lane("python");
    g_early_python->warm_up(nlohmann::json::object());
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
  if (backend == "auto" || backend == "python") {
    m_warm_python = early ? std::move(early) : make_lane("python");
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
