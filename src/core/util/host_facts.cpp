#include "core/util/host_facts.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
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

std::string utc_timestamp_now()
{
  auto now = std::chrono::system_clock::now();
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<long long>(micros % 1000000));
  return text;
}

std::string new_run_id()
{
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  std::random_device random;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random()));
  return std::string(stamp) + "_" + suffix;
}

} // namespace mdivicom
