#include "core/plugins/plugin.hpp"
#include "core/records/scan.hpp"

#include "support/regex_oracle.hpp"

TEST_CASE("a plugin id is a slug exactly as the pattern [a-z0-9][a-z0-9._-]* says", "[core][plugin]")
{
  auto slug = [](const std::string& text) { return text.size() <= 128 && mdivicom::is_valid_slug(text); };
  check_against_regex("[a-z0-9][a-z0-9._-]*", slug, "az09._-A/ :", 6,
                      {"", "a", "0", "noop", "my.plugin_2-x", ".x", "-x", "_x", "A", "x/y", "../x", "x y", "é"});
  CHECK(mdivicom::is_valid_slug(std::string(128, 'a')));
  CHECK_FALSE(mdivicom::is_valid_slug(std::string(129, 'a')));
}

TEST_CASE("a run record file is named by its run id and .json, nothing else", "[core][record]")
{
  check_against_regex("[0-9]{8}T[0-9]{6}Z_[0-9a-f]{8}\\.json", mdivicom::is_record_file_name, "0123456789afgTZ_.json",
                      31,
                      {"20261203T061722Z_6ef0e733.json", "20261203T061722Z_6ef0e733.log",
                       "20261203T061722Z_6EF0E733.json", "20261203T061722Z_6ef0e733.json.tmp-1-2",
                       "2026120T061722Z_6ef0e7331.json", "20261203T061722Z_6ef0e733.previous", "", ".lock"});
}
