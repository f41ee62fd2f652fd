#include "core/run/lane.hpp"

namespace mdivicom {

std::string_view to_string(RunStatus status)
{
  switch (status) {
  case RunStatus::running: return "running";
  case RunStatus::succeeded: return "succeeded";
  case RunStatus::failed: return "failed";
  case RunStatus::crashed: return "crashed";
  case RunStatus::timeout: return "timeout";
  case RunStatus::cancelled: return "cancelled";
  }
  return "failed";
}

} // namespace mdivicom
