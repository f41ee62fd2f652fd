#pragma once

#include <optional>

#include "cli/commands.hpp"
#include "core/run/run.hpp"

namespace mdivicom::cli {

// What run_app needs before it builds the whole command line: the command group argv names and,
// for `run`, how it chooses its lane and interpreter. Found by CLI11, parsing argv against a
// small app of the global options, the groups' names and run's k_lane_choice_options, each
// declared by the same function as on the full app; what it does not declare it skips.
struct EarlyParse
{
  // Null builds every group: no command, an unknown one, --help, --version, a parse error.
  const CommandGroup* group = nullptr;
  // A `run` without --help: the backend and lane options the full parse will give it.
  std::optional<RunOptions> run;
};

// ~30 us, where building every group costs ~0.5 ms. Throws nothing CLI11 throws: a command
// line it cannot parse gets a null group, and the full parse reports what is wrong.
EarlyParse early_parse(int argc, const char* const* argv);

} // namespace mdivicom::cli
