#pragma once

#include <string>

#include "cli/docs/command_tree.hpp"

namespace mdivicom::cli::docs {

// The name of a command group's page, "mdivicom-run", or "mdivicom" for the root.
std::string man_page_name(const CommandDoc& command);

// The roff text of man page (section 1) of the root, mdivicom(1), listing the global options and
// the commands, or of one command group, mdivicom-<group>(1), with its subcommands in sections.
// `root` gives every page its SEE ALSO.
std::string man_page(const CommandDoc& command, const CommandDoc& root, const std::string& version);

} // namespace mdivicom::cli::docs
