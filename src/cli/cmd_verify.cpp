#include "cli/commands.hpp"

namespace mdivicom::cli {

void add_verify_command(CLI::App& /*app*/)
{
}

} // namespace mdivicom::cli
