// The runs of an output directory for people (core/records/runs*): records are hostile input,
// so a field of the wrong type, a control character or markup in a name must not break a line,
// the table or the page.

#include <catch2/catch.hpp>

#include "core/records/runs.hpp"
#include "core/records/runs_html.hpp"
#include "core/records/runs_text.hpp"
#include "core/util/error.hpp"
#include "support/outputs_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace mdivicom;
using namespace mdivicom::test;
namespace fs = std::filesystem;
using nlohmann::json;

TEST_CASE("runs of hostile records: control characters are escaped, markup stays text, wrong types are blanks",
          "[core][records][runs]")
{
  TempDir dir;
  const fs::path out = dir / "out";
  write_file(out / "plain" / "a.txt", "a\n");
  json record = write_run_record(out, "plain", "20250101T000001Z_00000001");
  record["plugin"]["id"] = "evil\x1b[31m\n<script>alert(1)</script>";
  record["status"] = "failed";
  record["error"] = {{"type", "ValueError"}, {"message", "line one\nline two"}};
  record["resources"] = {{"cpu_s", "lots"}, {"peak_memory_bytes", -5}};
  record["duration_s"] = "forever";
  write_file(out / "_runs" / "20250101T000001Z_00000001.json", record.dump());
  write_file(out / "_runs" / "20250101T000002Z_00000002.json", "{not json");

  RunList runs = list_runs(out);
  REQUIRE(runs.rows.size() == 2);
  // A record without times (unreadable) comes first: run_order's rule.
  CHECK(runs.rows[0].status == "unreadable");
  const RunRow& hostile = runs.rows[1];
  CHECK(hostile.status == "failed");
  CHECK(!hostile.cpu_s);
  CHECK(!hostile.peak_memory_bytes);
  CHECK(!hostile.duration_s);
  CHECK(hostile.file_count == 1);

  const std::string table = runs_table_text(runs);
  CHECK(table.find('\x1b') == std::string::npos);
  CHECK(std::count(table.begin(), table.end(), '\n') == 4); // header, 2 runs, the footer
  CHECK_THAT(table, Catch::Contains("evil\\x1b[31m\\n<script>"));

  const std::string shown = run_show_text(runs, hostile);
  CHECK(shown.find('\x1b') == std::string::npos);
  CHECK_THAT(shown, Catch::Contains("ValueError: line one\\nline two"));
  CHECK_THAT(shown, Catch::Contains("a.txt"));

  const std::string html = runs_report_html(runs);
  CHECK(html.find("<script>alert") == std::string::npos);
  CHECK(html.find('\x1b') == std::string::npos);
  CHECK_THAT(html, Catch::Contains("&lt;script&gt;alert(1)&lt;/script&gt;"));

  CHECK(list_runs(out, {.plugin = "", .status = "unreadable"}).rows.size() == 1);
  CHECK(list_runs(out, {.plugin = "plain", .status = ""}).rows.empty());
  CHECK(find_run(runs, "20250101T000002Z_00000002") == &runs.rows[0]);
  CHECK(find_run(runs, "20250101T000003Z_00000003") == nullptr);
}

TEST_CASE("runs of a batch directory are found in every item, nested item names included, links not followed",
          "[core][records][runs]")
{
  TempDir dir;
  const fs::path out = dir / "study";
  fs::create_directories(out / "_batches");
  for (const char* item : {"sub-01/ses-01", "sub-02"}) {
    write_file(out / item / "summary" / "s.tsv", "x\n");
    write_run_record(out / item, "summary", std::string("20250101T000001Z_0000000") + (item[5] == '1' ? "1" : "2"));
  }
  fs::create_directories(dir / "elsewhere" / "_runs");
  write_file(dir / "elsewhere" / "x" / "s.tsv", "x\n");
  write_run_record(dir / "elsewhere", "x", "20250101T000001Z_00000009");
  fs::create_directory_symlink(dir / "elsewhere", out / "linked");

  RunList runs = list_runs(out);
  CHECK(runs.batch);
  REQUIRE(runs.rows.size() == 2);
  CHECK(runs.rows[0].item == "sub-01/ses-01");
  CHECK(runs.rows[0].record_path == "sub-01/ses-01/_runs/20250101T000001Z_00000001.json");
  CHECK(runs.rows[1].item == "sub-02");
  CHECK(runs.rows[0].latest);
  CHECK(runs_to_json(runs)["runs"][1]["item"] == "sub-02");
  CHECK_THAT(runs_table_text(runs), Catch::StartsWith("ITEM"));

  CHECK_THROWS_AS(list_runs(dir / "nothing-here"), Error);
}

TEST_CASE("durations and times are shortened for tables", "[core][records][runs]")
{
  CHECK(format_seconds(0.123) == "0.12 s");
  CHECK(format_seconds(12.34) == "12.3 s");
  CHECK(format_seconds(185) == "3 min 05 s");
  CHECK(format_seconds(7440) == "2 h 04 min");
  CHECK(short_time("2026-11-25T09:41:07.123456Z") == "2026-11-25 09:41:07");
  CHECK(short_time("2026-11-25T09:41:07+02:00") == "2026-11-25 09:41:07+02:00");
  CHECK(short_time("yesterday") == "yesterday");
  CHECK(html_escape(R"(<a href="x">'&'</a>)") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}
