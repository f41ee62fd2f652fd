#pragma once

#include <CLI/CLI.hpp>

namespace mdivicom::cli {

// `mdivicom help [command [subcommand]]`: the help of that command on stdout, exit 0; a name
// that is no command is a usage error with the nearest name. Needs every group on the app.
void add_help_command(CLI::App& app);

// The top-level help's footer: the environment variables mdivicom reads, and where to go next.
// Every variable `getenv`'s callers read (grep getenv src/) that a user may set is listed here;
// tests/cli/test_help_cli.cpp checks the list against the sources.
std::string top_level_footer();

} // namespace mdivicom::cli
