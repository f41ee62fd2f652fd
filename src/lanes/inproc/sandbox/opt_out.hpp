#pragma once

#include <cstdlib>
#include <string_view>

namespace mdivicom::inproc {

// True when the environment variable `name` turns a part of the sandbox off: off, 0, false or
// no (MDIVICOM_SANDBOX, MDIVICOM_LANDLOCK). Anything else, or nothing, keeps it on.
inline bool opted_out(const char* name)
{
  const char* value = std::getenv(name);
  if (value == nullptr) {
    return false;
  }
  const std::string_view text = value;
  return text == "off" || text == "0" || text == "false" || text == "no";
}

} // namespace mdivicom::inproc
