#pragma once

#include <string>

namespace CLI {
class App; // declared only: main.cpp, which includes this, need not compile CLI11
} // namespace CLI

namespace mdivicom::cli {

struct CommandGroup;
struct GlobalOptions;

// Parses the command line, runs the command, prints errors as "mdivicom: error: ..." and
// returns the process exit code (see ExitCode and the README).
int run_app(int argc, char** argv);

// The whole command line as --help shows it: the app's name and description, the global options
// and the command groups (only `group` when not null, as run_app does). The man pages and shell
// completions are generated from it (src/cli/docs/), so they cannot say other than --help.
void define_app(CLI::App& app, GlobalOptions& options, const CommandGroup* group = nullptr);

// What --version prints: "mdivicom 0.1.0 (commit 1a2b3c4)"; the commit is "unknown" for a build
// from outside a git checkout and ends in "-dirty" for one with uncommitted changes.
std::string version_text();

} // namespace mdivicom::cli
