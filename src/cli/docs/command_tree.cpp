#include "cli/docs/command_tree.hpp"

#include <cctype>

namespace mdivicom::cli::docs {

namespace {

// "TEXT:{full,fast,off}" (the type, then each validator's description): the type and the choices.
void read_type_name(const std::string& type_name, OptionDoc& option)
{
  option.value = type_name.substr(0, type_name.find(':'));
  size_t open = type_name.find(":{");
  size_t close = type_name.find('}', open);
  if (open == std::string::npos || close == std::string::npos) {
    return;
  }
  std::string list = type_name.substr(open + 2, close - open - 2);
  for (size_t start = 0; start <= list.size();) {
    size_t end = std::min(list.find(',', start), list.size());
    option.choices.push_back(list.substr(start, end - start));
    start = end + 1;
  }
}

OptionDoc option_doc(const CLI::Option& option)
{
  OptionDoc doc;
  for (const auto& name : option.get_snames()) {
    doc.names.push_back("-" + name);
  }
  for (const auto& name : option.get_lnames()) {
    doc.names.push_back("--" + name);
  }
  doc.description = option.get_description();
  doc.required = option.get_required();
  if (option.get_type_size_max() > 0) { // a flag takes no value
    read_type_name(option.get_type_name(), doc);
    doc.repeatable = option.get_items_expected_max() > 1;
  }
  return doc;
}

CommandDoc command_doc(const CLI::App& app, std::vector<std::string> path)
{
  CommandDoc doc;
  doc.path = std::move(path);
  doc.description = app.get_description();
  doc.footer = app.get_footer();
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_group().empty()) {
      continue; // hidden
    }
    if (option->get_positional()) {
      doc.positionals.push_back({option->get_name(), option->get_description(), option->get_required(),
                                 option->get_items_expected_max() > 1});
    } else {
      doc.options.push_back(option_doc(*option));
    }
  }
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_group().empty() || sub->get_name().empty()) {
      continue; // hidden, or an option group
    }
    std::vector<std::string> sub_path = doc.path;
    sub_path.push_back(sub->get_name());
    CommandDoc child = command_doc(*sub, std::move(sub_path));
    // The root's options are global: mdivicom(1) lists them once, and only before a command.
    if (sub->get_fallthrough() && doc.path.size() > 1) {
      for (const auto& option : doc.accepted_options()) {
        if (option.names != std::vector<std::string>{"-h", "--help"}) {
          child.inherited_options.push_back(option);
        }
      }
    }
    doc.subcommands.push_back(std::move(child));
  }
  return doc;
}

} // namespace

std::string CommandDoc::joined(const std::string& separator) const
{
  std::string text;
  for (const auto& part : path) {
    text += (text.empty() ? "" : separator) + part;
  }
  return text;
}

std::vector<OptionDoc> CommandDoc::accepted_options() const
{
  std::vector<OptionDoc> all = options;
  all.insert(all.end(), inherited_options.begin(), inherited_options.end());
  return all;
}

std::vector<std::string> CommandDoc::valued_option_names() const
{
  std::vector<OptionDoc> valued;
  for (const auto& option : accepted_options()) {
    if (!option.value.empty()) {
      valued.push_back(option);
    }
  }
  return option_names(valued);
}

std::vector<const CommandDoc*> all_commands(const CommandDoc& root)
{
  std::vector<const CommandDoc*> commands = {&root};
  for (const auto& sub : root.subcommands) {
    auto below = all_commands(sub);
    commands.insert(commands.end(), below.begin(), below.end());
  }
  return commands;
}

std::vector<std::string> option_names(const std::vector<OptionDoc>& options)
{
  std::vector<std::string> names;
  for (const auto& option : options) {
    names.insert(names.end(), option.names.begin(), option.names.end());
  }
  return names;
}

CommandDoc command_tree(const CLI::App& app)
{
  return command_doc(app, {app.get_name()});
}

std::string summary(const std::string& description)
{
  int depth = 0; // "(default: $VIRTUAL_ENV)" and {"dataset": ...} end no clause
  for (size_t i = 0; i + 2 < description.size(); ++i) {
    char c = description[i];
    depth += (c == '(' || c == '{' || c == '[') ? 1 : (c == ')' || c == '}' || c == ']') ? -1 : 0;
    bool stop = c == ':' || c == ';' || (c == '.' && std::isupper(static_cast<unsigned char>(description[i + 2])));
    if (depth == 0 && stop && description[i + 1] == ' ') { // "e.g. unix://" goes on
      return description.substr(0, i);
    }
  }
  return description;
}

} // namespace mdivicom::cli::docs
