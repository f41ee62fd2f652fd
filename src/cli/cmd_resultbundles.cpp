#include "cli/commands.hpp"

namespace mdivicom::cli {

void add_resultbundles_commands(CLI::App& /*app*/)
{
}

} // namespace mdivicom::cli
