#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace mdivicom::cli {

// What a command line that CLI11 refused was trying to say, read against the app's own table
// of commands and options: CLI11 answers `mdivicom plugns list` with "A subcommand is required".
struct UsageDiagnosis
{
  const CLI::App* command = nullptr; // the deepest command the arguments name (the app when none)
  std::string unknown;               // the first command word or option that names nothing; "" when none
  bool unknown_is_option = false;
  std::string suggestion;          // the known name nearest to `unknown` (near_name.hpp); "" when none is near
  bool missing_subcommand = false; // the arguments end at a group that needs a command
};

// `args`: the arguments after the program name. Options are looked up as CLI11 does with
// fallthrough: in the command, then in each command above it.
UsageDiagnosis diagnose_command_line(const CLI::App& app, const std::vector<std::string>& args);

// "mdivicom plugins": the command's name with those above it, as its usage line shows it.
std::string command_path(const CLI::App& command);

// The help of `command` as `mdivicom <command> --help` prints it; never that of a subcommand
// the arguments named (CLI::App::help() goes down to those, `help` among them).
std::string help_text(const CLI::App& command);

// The names of the commands under `command`, "list, info or validate".
std::string subcommand_names(const CLI::App& command);

// The message for a refused command line, printed to stderr; returns the exit code (usage).
// An unknown command or option is named with its nearest known name; a group without its
// command prints the group's help, since that is what the user was looking for.
int report_usage_error(const CLI::App& app, const std::vector<std::string>& args, const CLI::ParseError& error);

} // namespace mdivicom::cli
