// A Python plugin's log lines through the real binary: each once in the terminal and in the run
// log, whether the plugin logs through the root logger or through a logger with a handler of
// its own, and a library's INFO chatter stays as quiet as in a bare interpreter.

#include <catch2/catch.hpp>

#include "cli_workspace.hpp"

using namespace mdivicom::test;

namespace {

// A library the plugin imports: it logs through its own logger, as libraries do.
const char* k_library = R"(
import logging
log = logging.getLogger('chatty_lib')
log.addHandler(logging.NullHandler())
def work():
    log.info('library info chatter')
    log.debug('library debug chatter')
    log.warning('library warning line')
)";

size_t count(const std::string& text, const std::string& line)
{
  size_t found = 0;
  for (size_t at = text.find(line); at != std::string::npos; at = text.find(line, at + line.size())) {
    ++found;
  }
  return found;
}

void each_once(const CliRun& run, const std::vector<std::string>& lines)
{
  const std::string terminal = run.cli.out + run.cli.err;
  for (const std::string& line : lines) {
    INFO(line << "\nterminal:\n" << terminal << "\nlog:\n" << run.log);
    CHECK(count(terminal, line) == 1);
    CHECK(count(run.log, line) == 1);
  }
}

} // namespace

TEST_CASE("a plugin logger with its own handler is printed once, not again by the worker's root handler",
          "[inproc][cli][logging]")
{
  CliWorkspace ws(R"(
import logging, sys
import chatty_lib
log = logging.getLogger(__name__)
log.setLevel(logging.INFO)
_handler = logging.StreamHandler(sys.stderr)
_handler.setFormatter(logging.Formatter('MINE %(levelname)s %(message)s'))
log.addHandler(_handler)
def run(dataset_dir, out_dir, config, **kwargs):
    log.info('own info line')
    log.warning('own warning line')
    chatty_lib.work()
)");
  write_file(ws.plugin_root / "chatty_lib.py", k_library);
  CliRun run = ws.run();
  INFO(run.cli.err);
  REQUIRE(run.cli.exit_code == 0);
  each_once(run,
            {"MINE INFO own info line", "MINE WARNING own warning line", "WARNING:chatty_lib:library warning line"});
  CHECK(run.log.find("own info line") == run.log.rfind("own info line")); // not also as INFO:cli_mod:...
  CHECK(run.log.find("chatter") == std::string::npos);
  CHECK((run.cli.out + run.cli.err).find("chatter") == std::string::npos);
}

TEST_CASE("logging.info and logging.warning of a plugin are printed once, a library's INFO lines not at all",
          "[inproc][cli][logging]")
{
  CliWorkspace ws(R"(
import logging
import chatty_lib
def run(dataset_dir, out_dir, config, **kwargs):
    logging.info('root info line')
    logging.warning('root warning line')
    logging.getLogger('my.steps').info('named info line')
    chatty_lib.work()
    # A level the plugin sets on a library's logger is asked for: its INFO lines show.
    logging.getLogger('chatty_lib').setLevel(logging.INFO)
    logging.getLogger('chatty_lib').info('library info asked for')
)");
  write_file(ws.plugin_root / "chatty_lib.py", k_library);
  CliRun run = ws.run();
  INFO(run.cli.err);
  REQUIRE(run.cli.exit_code == 0);
  each_once(run, {"INFO:root:root info line", "WARNING:root:root warning line", "INFO:my.steps:named info line",
                  "WARNING:chatty_lib:library warning line", "INFO:chatty_lib:library info asked for"});
  CHECK(run.log.find("chatter") == std::string::npos);
  CHECK((run.cli.out + run.cli.err).find("chatter") == std::string::npos);
}
