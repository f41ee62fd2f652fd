#include "cli/early_parse.hpp"

#include "cli/run_arguments.hpp"

namespace mdivicom::cli {

EarlyParse early_parse(int argc, const char* const* argv)
{
  CLI::App app{"", "mdivicom"};
  app.set_help_flag();       // --help at the top is the full parse's
  app.require_subcommand(1); // as on the full app: a plugin named like a group (`run gc`) stays run's
  GlobalOptions skipped;     // the full parse reads them
  add_global_options(app, skipped);
  RunArguments run_arguments;
  bool run_help = false;
  const CommandGroup* run_group = nullptr;
  std::vector<std::pair<const CLI::App*, const CommandGroup*>> commands;
  for (const auto& group : k_command_groups) {
    CLI::App* command = app.add_subcommand(group.name);
    command->set_help_flag();
    if (group.add == add_run_command) {
      run_group = &group;
      command->allow_extras(); // every other option and its value, skipped
      command->add_flag("-h,--help", run_help);
      for (auto add_option : k_lane_choice_options) {
        add_option(*command, run_arguments);
      }
    } else {
      command->prefix_command(); // the rest is the group's
    }
    commands.emplace_back(command, &group);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Error&) {
    return {};
  }
  EarlyParse parsed;
  for (const auto& [command, group] : commands) {
    if (command->parsed()) {
      parsed.group = group;
    }
  }
  if (parsed.group == run_group && run_group != nullptr && !run_help) {
    parsed.run = run_options_of(run_arguments);
  }
  return parsed;
}

} // namespace mdivicom::cli
