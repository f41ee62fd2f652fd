#pragma once

#include <string>

#include "cli/docs/command_tree.hpp"

// Shell completion scripts for mdivicom, generated from its command tree: commands, subcommands,
// options, the values of options with a fixed set of choices, file names for the other values and
// for file arguments, and plugin refs (`run`, `batch`, `plugins info`) from the ids that
// `mdivicom plugins list` prints, asked of the mdivicom being completed, so that they are the
// plugins that command would find (with the line's --python-env).

namespace mdivicom::cli::docs {

// For bash (the function _mdivicom, `complete -F`); needs no bash-completion helpers.
std::string bash_completion(const CommandDoc& root);
// For zsh (#compdef mdivicom, one _arguments function per command).
std::string zsh_completion(const CommandDoc& root);
// For fish (`complete -c mdivicom`, conditions on the command the line is in).
std::string fish_completion(const CommandDoc& root);

} // namespace mdivicom::cli::docs
