#pragma once

namespace mdivicom::cli {

// Parses the command line, runs the command, prints errors as "mdivicom: error: ..." and
// returns the process exit code (see ExitCode and the README).
int run_app(int argc, char** argv);

} // namespace mdivicom::cli
