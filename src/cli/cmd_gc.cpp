#include "cli/commands.hpp"

namespace mdivicom::cli {

void add_gc_command(CLI::App& /*app*/)
{
}

} // namespace mdivicom::cli
