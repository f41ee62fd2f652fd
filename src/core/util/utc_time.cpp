#include "core/util/utc_time.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace mdivicom {

std::string format_utc(int64_t micros, UtcFormat format)
{
  constexpr int64_t k_per_second = 1'000'000;
  // Rounded down, so that a time before 1970 keeps a fraction in [0, 1 s).
  int64_t seconds = micros / k_per_second;
  int64_t fraction = micros % k_per_second;
  if (fraction < 0) {
    fraction += k_per_second;
    --seconds;
  }
  const auto time = static_cast<std::time_t>(seconds);
  std::tm utc = {};
  ::gmtime_r(&time, &utc);
  const int year = utc.tm_year + 1900;
  const int month = utc.tm_mon + 1;
  char text[64];
  switch (format) {
  case UtcFormat::seconds:
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02dZ", year, month, utc.tm_mday, utc.tm_hour,
                  utc.tm_min, utc.tm_sec);
    break;
  case UtcFormat::microseconds:
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", year, month, utc.tm_mday, utc.tm_hour,
                  utc.tm_min, utc.tm_sec, static_cast<long long>(fraction));
    break;
  case UtcFormat::compact:
    std::snprintf(text, sizeof text, "%04d%02d%02dT%02d%02d%02dZ", year, month, utc.tm_mday, utc.tm_hour, utc.tm_min,
                  utc.tm_sec);
    break;
  }
  return text;
}

int64_t utc_now_micros()
{
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string utc_timestamp_now()
{
  return format_utc(utc_now_micros(), UtcFormat::microseconds);
}

} // namespace mdivicom
