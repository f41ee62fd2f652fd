#pragma once

#include <cstdint>
#include <string>

namespace mdivicom {

enum class UtcFormat {
  seconds,      // "2026-11-25T09:41:07Z": RFC 3339 (result bundles, gc listings)
  microseconds, // "2026-11-25T09:41:07.123456Z": RFC 3339 (run records)
  compact,      // "20261125T094107Z": the reference's run ids
};

// A time in microseconds since the epoch (negative before 1970) as UTC text.
std::string format_utc(int64_t micros, UtcFormat format);

// Microseconds since the epoch, now.
int64_t utc_now_micros();

// format_utc(utc_now_micros(), UtcFormat::microseconds): a run record's timestamps.
std::string utc_timestamp_now();

} // namespace mdivicom
