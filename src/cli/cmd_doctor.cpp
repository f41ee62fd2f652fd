#include "cli/commands.hpp"

namespace mdivicom::cli {

void add_doctor_command(CLI::App& /*app*/)
{
}

} // namespace mdivicom::cli
