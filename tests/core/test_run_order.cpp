#include <catch2/catch.hpp>

#include "core/records/run_order.hpp"

using mdivicom::run_order;
using mdivicom::timestamp_micros;

TEST_CASE("record timestamps are read as instants, whatever their precision and offset", "[core][run_order]")
{
  const int64_t base = int64_t{1764063667} * 1'000'000; // 2025-11-25T09:41:07Z
  CHECK(timestamp_micros("2025-11-25T09:41:07Z") == base);
  CHECK(timestamp_micros("2025-11-25T09:41:07.123456Z") == base + 123456);
  CHECK(timestamp_micros("2025-11-25T09:41:07.5Z") == base + 500000);
  CHECK(timestamp_micros("2025-11-25T09:41:07.1234569Z") == base + 123456); // beyond microseconds: cut
  CHECK(timestamp_micros("2025-11-25T10:41:07+01:00") == base);
  CHECK(timestamp_micros("2025-11-25T04:11:07.25-05:30") == base + 250000);
  for (const char* bad : {"", "2025-11-25", "2025-11-25T09:41:07", "2025-11-25T09:41:07.Z", "2025-13-25T09:41:07Z",
                          "2025-11-25 09:41:07Z", "2025-11-25T09:41:07Zjunk", "yesterday"}) {
    INFO(bad);
    CHECK_FALSE(timestamp_micros(bad));
  }
}

TEST_CASE("runs are ordered by when they finished, then started, then by run id", "[core][run_order]")
{
  // Same second in the id; the smaller id finished later.
  auto late = run_order("20251125T094107Z_00000001", "2025-11-25T09:41:07.5Z", "2025-11-25T09:41:07.9Z");
  auto early = run_order("20251125T094107Z_ffffffff", "2025-11-25T09:41:07.1Z", "2025-11-25T09:41:07.4Z");
  CHECK(early < late);
  // No finish time (a record of another tool): its start stands for it.
  CHECK(run_order("20251125T094107Z_ffffffff", "2025-11-25T09:41:07.95Z", "") > late);
  // Equal times, or none at all: the run id.
  CHECK(run_order("a", "", "") < run_order("b", "", ""));
  CHECK(run_order("b", "2025-11-25T09:41:07Z", "2025-11-25T09:41:08Z") <
        run_order("a", "2025-11-25T09:41:07.1Z", "2025-11-25T09:41:08Z"));
  // A run with times is later than one without.
  CHECK(run_order("z", "", "") < run_order("a", "2025-11-25T09:41:07Z", ""));
}

TEST_CASE("the latest run of each directory is the one offered with the latest order", "[core][run_order]")
{
  mdivicom::LatestRuns latest;
  CHECK(latest.empty());
  latest.offer("a", 0, run_order("1", "", "2025-11-25T09:41:09Z"));
  latest.offer("a", 1, run_order("2", "", "2025-11-25T09:41:08Z"));
  latest.offer("b", 2, run_order("3", "", "2025-11-25T09:41:01Z"));
  CHECK(latest.is_latest("a", 0));
  CHECK_FALSE(latest.is_latest("a", 1));
  CHECK(latest.is_latest("b", 2));
  CHECK_FALSE(latest.is_latest("c", 0));
}
