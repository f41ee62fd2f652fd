#include "lanes/inproc/embedded_python.hpp"

#include "core/module.hpp"
#include "lanes/inproc/python_env.hpp"

namespace mdivicom::inproc {

std::string python_version_tag()
{
  return MDIVICOM_PYTHON_VERSION; // pkg-config's python3-embed version, e.g. "3.11"
}

int run_in_interpreter(const InterpreterOptions& options, const char* function, const JobSource& next_job)
{
  auto* run = module_function<PythonModuleEntry>(k_python_module, k_python_entry, SymbolScope::global);
  return run(options, function, next_job);
}

} // namespace mdivicom::inproc
