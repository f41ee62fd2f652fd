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

} // namespace mdivicom::cli
