#include "cli/commands.hpp"

namespace mdivicom::cli {

void add_pack_command(CLI::App& /*app*/)
{
}

} // namespace mdivicom::cli
