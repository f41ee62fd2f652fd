#include "cli/usage_hint.hpp"

#include "core/util/error.hpp"
#include "core/util/near_name.hpp"

#include <iostream>

namespace mdivicom::cli {

namespace {

// The option `name` ("--dataset", "-v") names in `command` or a command above it (fallthrough).
const CLI::Option* find_option(const CLI::App* command, const std::string& name)
{
  for (; command != nullptr; command = command->get_parent()) {
    if (const CLI::Option* option = command->get_option_no_throw(name)) {
      return option;
    }
  }
  return nullptr;
}

std::vector<std::string> long_option_names(const CLI::App* command)
{
  std::vector<std::string> names;
  for (; command != nullptr; command = command->get_parent()) {
    for (const CLI::Option* option : command->get_options()) {
      for (const auto& name : option->get_lnames()) {
        names.push_back("--" + name);
      }
    }
  }
  return names;
}

std::vector<const CLI::App*> subcommands_of(const CLI::App& command)
{
  return command.get_subcommands([](const CLI::App* sub) { return !sub->get_name().empty(); });
}

const CLI::App* find_subcommand(const CLI::App& command, const std::string& word)
{
  for (const CLI::App* sub : subcommands_of(command)) {
    if (sub->check_name(word)) {
      return sub;
    }
  }
  return nullptr;
}

std::vector<std::string> names_of(const std::vector<const CLI::App*>& commands)
{
  std::vector<std::string> names;
  for (const CLI::App* command : commands) {
    names.push_back(command->get_name());
  }
  return names;
}

} // namespace

UsageDiagnosis diagnose_command_line(const CLI::App& app, const std::vector<std::string>& args)
{
  UsageDiagnosis diagnosis;
  diagnosis.command = &app;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      break; // the rest are values
    }
    if (arg.size() > 1 && arg[0] == '-') {
      const bool is_long = arg.starts_with("--");
      // "--out=O", and "-qv" or "-oFILE", whose first letter is the option.
      const std::string name = is_long ? arg.substr(0, arg.find('=')) : arg.substr(0, 2);
      const CLI::Option* option = find_option(diagnosis.command, name);
      if (option == nullptr) {
        diagnosis.unknown = name;
        diagnosis.unknown_is_option = true;
        diagnosis.suggestion = is_long ? nearest_name(name, long_option_names(diagnosis.command)) : "";
        return diagnosis;
      }
      const bool value_attached = is_long ? arg.find('=') != std::string::npos : arg.size() > 2;
      if (option->get_items_expected_max() > 0 && !value_attached) {
        ++i; // its value, whatever it looks like
      }
      continue;
    }
    if (subcommands_of(*diagnosis.command).empty()) {
      continue; // a positional argument
    }
    if (const CLI::App* sub = find_subcommand(*diagnosis.command, arg)) {
      diagnosis.command = sub;
      continue;
    }
    if (diagnosis.command->get_require_subcommand_min() > 0) {
      diagnosis.unknown = arg;
      diagnosis.suggestion = nearest_name(arg, names_of(subcommands_of(*diagnosis.command)));
      return diagnosis;
    }
  }
  diagnosis.missing_subcommand = diagnosis.command->get_require_subcommand_min() > 0;
  return diagnosis;
}

std::string command_path(const CLI::App& command)
{
  std::string path = command.get_name();
  for (const CLI::App* above = command.get_parent(); above != nullptr; above = above->get_parent()) {
    path = above->get_name() + " " + path;
  }
  return path;
}

std::string help_text(const CLI::App& command)
{
  return command.get_formatter()->make_help(&command, command_path(command), CLI::AppFormatMode::Normal);
}

std::string subcommand_names(const CLI::App& command)
{
  std::vector<std::string> names = names_of(subcommands_of(command));
  std::string text;
  for (size_t i = 0; i < names.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  }
  return text;
}

int report_usage_error(const CLI::App& app, const std::vector<std::string>& args, const CLI::ParseError& error)
{
  std::cout.flush();
  const UsageDiagnosis diagnosis = diagnose_command_line(app, args);
  const std::string path = command_path(*diagnosis.command);
  if (!diagnosis.unknown.empty()) {
    std::cerr << "mdivicom: error: '" << path << "' has no " << (diagnosis.unknown_is_option ? "option" : "command")
              << " '" << diagnosis.unknown << "'";
    if (!diagnosis.suggestion.empty()) {
      std::cerr << "; did you mean '" << diagnosis.suggestion << "'?";
    }
    std::cerr << "\n";
  } else if (diagnosis.missing_subcommand) {
    std::cerr << "mdivicom: error: '" << path << "' needs a command: " << subcommand_names(*diagnosis.command) << "\n\n"
              << help_text(*diagnosis.command) << "\n";
    return static_cast<int>(ExitCode::usage);
  } else {
    std::cerr << "mdivicom: error: " << error.what() << "\n";
  }
  std::cerr << "Run 'mdivicom help' or 'mdivicom help <command>' for usage.\n";
  return static_cast<int>(ExitCode::usage);
}

} // namespace mdivicom::cli
