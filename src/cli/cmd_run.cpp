#include "cli/commands.hpp"

namespace mdivicom::cli {

void add_run_command(CLI::App& /*app*/)
{
}

} // namespace mdivicom::cli
