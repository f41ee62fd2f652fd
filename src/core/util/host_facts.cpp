#include "core/util/host_facts.hpp"

#include "core/util/utc_time.hpp"

#include <cstdio>
#include <fstream>
#include <random>
#include <thread>

#include <pwd.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace mdivicom {

namespace {

std::string os_pretty_name()
{
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string value = line.substr(12);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
  }
  return "unknown";
}

std::string user_name()
{
  const passwd* entry = getpwuid(getuid());
  return entry != nullptr ? entry->pw_name : std::to_string(getuid());
}

} // namespace

nlohmann::json host_facts()
{
  utsname names{};
  uname(&names);
  return {
      {"hostname", names.nodename},
      {"os", os_pretty_name()},
      {"kernel", std::string(names.sysname) + " " + names.release},
      {"machine", names.machine},
      {"cpus", static_cast<int>(std::thread::hardware_concurrency())},
      {"user", user_name()},
      {"uid", static_cast<int>(getuid())},
  };
}

std::string new_run_id()
{
  std::random_device random;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random()));
  return format_utc(utc_now_micros(), UtcFormat::compact) + "_" + suffix;
}

} // namespace mdivicom
