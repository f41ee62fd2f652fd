#include <catch2/catch.hpp>

#include "core/util/utc_time.hpp"

using mdivicom::format_utc;
using mdivicom::UtcFormat;

TEST_CASE("UTC times are written in each of the three forms records, bundles and run ids use", "[core][time]")
{
  const int64_t micros = 1764063667123456; // 2025-11-25 09:41:07.123456 UTC
  CHECK(format_utc(micros, UtcFormat::seconds) == "2025-11-25T09:41:07Z");
  CHECK(format_utc(micros, UtcFormat::microseconds) == "2025-11-25T09:41:07.123456Z");
  CHECK(format_utc(micros, UtcFormat::compact) == "20251125T094107Z");
  CHECK(format_utc(0, UtcFormat::microseconds) == "1970-01-01T00:00:00.000000Z");
}

// The record formatter this replaced printed a negative fraction before 1970; the gc listing's
// (whole seconds from an mtime) did not. Times before the epoch round down to their second.
TEST_CASE("a UTC time before 1970 is rounded down to its second, its fraction counted from there", "[core][time]")
{
  CHECK(format_utc(-1, UtcFormat::microseconds) == "1969-12-31T23:59:59.999999Z");
  CHECK(format_utc(-1'000'001, UtcFormat::microseconds) == "1969-12-31T23:59:58.999999Z");
  CHECK(format_utc(-1'000'000, UtcFormat::seconds) == "1969-12-31T23:59:59Z");
}

TEST_CASE("the record timestamp is now, to the microsecond", "[core][time]")
{
  const int64_t before = mdivicom::utc_now_micros();
  const std::string stamp = mdivicom::utc_timestamp_now();
  CHECK(stamp.size() == std::string("2025-11-25T09:41:07.123456Z").size());
  CHECK(stamp.substr(0, 4) == format_utc(before, UtcFormat::seconds).substr(0, 4));
}
