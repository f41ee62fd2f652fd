#include "lanes/inproc/python_plan.hpp"

#include "support/regex_oracle.hpp"

TEST_CASE("entry.callable must be module.path:attr.path with ASCII identifiers", "[inproc][plan]")
{
  check_against_regex(R"([A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*)",
                      mdivicom::inproc::is_callable_ref, "aZ_9.:: -", 9,
                      {"noop_plugin:run", "pkg.mod:Class.method", "a:b", ":run", "mod:", "mod:run:x", "1mod:run",
                       "mod:1run", "mod.:run", ".mod:run", "mod..x:run", "mod:run.", "mod run:x", "mod:ru-n", "é:run"});
}
