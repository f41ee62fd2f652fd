#include "cli/docs/manpage.hpp"

#include <sstream>

namespace mdivicom::cli::docs {

namespace {

// Text as roff prints it: a backslash is \e, a hyphen in an option is \- (so that it is copied as
// a hyphen-minus, not a typographic hyphen), and a line cannot start a request with . or '.
std::string roff(const std::string& text)
{
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) {
      out += "\\&";
    }
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

std::string bold(const std::string& text)
{
  return "\\fB" + roff(text) + "\\fR";
}

std::string italic(const std::string& text)
{
  return "\\fI" + roff(text) + "\\fR";
}

// "-j, --jobs UINT", or "--backend auto|python|docker|podman": the tag of an option's paragraph.
std::string option_tag(const OptionDoc& option)
{
  std::string tag;
  for (const auto& name : option.names) {
    tag += (tag.empty() ? "" : ", ") + bold(name);
  }
  if (!option.choices.empty()) {
    std::string choices;
    for (const auto& choice : option.choices) {
      choices += (choices.empty() ? "" : "|") + italic(choice);
    }
    tag += " " + choices;
  } else if (!option.value.empty()) {
    tag += " " + italic(option.value);
  }
  if (option.repeatable) {
    tag += " ...";
  }
  return tag;
}

void write_options(std::ostream& out, const std::vector<OptionDoc>& options)
{
  for (const auto& option : options) {
    out << ".TP\n" << option_tag(option) << "\n" << roff(option.description);
    out << (option.required ? " (required)\n" : "\n");
  }
}

void write_positionals(std::ostream& out, const std::vector<PositionalDoc>& positionals)
{
  for (const auto& positional : positionals) {
    out << ".TP\n"
        << italic(positional.name) << (positional.many ? " ..." : "") << "\n"
        << roff(positional.description) << (positional.required ? " (required)\n" : "\n");
  }
}

// "mdivicom batch [OPTIONS] [plugin_refs ...] [COMMAND]", as the usage line of --help.
std::string synopsis(const CommandDoc& command)
{
  std::string line = ".B " + roff(command.joined()) + "\n[" + italic("OPTIONS") + "]";
  for (const auto& positional : command.positionals) {
    std::string name = italic(positional.name) + (positional.many ? " ..." : "");
    line += " " + (positional.required ? name : "[" + name + "]");
  }
  if (!command.subcommands.empty()) {
    line += " " + italic("COMMAND") + (command.path.size() == 1 ? " ..." : "");
  }
  return line + "\n";
}

void write_description(std::ostream& out, const CommandDoc& command)
{
  out << roff(command.description) << "\n";
  if (!command.footer.empty()) {
    out << ".PP\n" << roff(command.footer) << "\n";
  }
}

// A subcommand in a section of its group's page: its synopsis, description, arguments, options.
void write_subcommand(std::ostream& out, const CommandDoc& command)
{
  out << ".SS \"" << roff(command.joined()) << "\"\n";
  out << synopsis(command) << ".PP\n";
  write_description(out, command);
  write_positionals(out, command.positionals);
  write_options(out, command.accepted_options());
  for (const auto& sub : command.subcommands) {
    write_subcommand(out, sub);
  }
}

} // namespace

std::string man_page_name(const CommandDoc& command)
{
  return command.joined("-");
}

std::string man_page(const CommandDoc& command, const CommandDoc& root, const std::string& version)
{
  std::ostringstream out;
  std::string name = man_page_name(command);
  std::string title;
  for (char c : name) {
    title += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  std::string description = command.description;
  if (description.starts_with(name + ": ")) {
    description.erase(0, name.size() + 2); // the app's "mdivicom: run lab ..."
  }
  out << ".\\\" Generated from mdivicom's command line (src/cli/docs/) at build time. Do not edit.\n";
  out << ".TH " << roff(title) << " 1 \"\" \"" << roff(version) << "\" \"mdivicom manual\"\n";
  out << ".SH NAME\n" << roff(name) << " \\- " << roff(summary(description)) << "\n";
  out << ".SH SYNOPSIS\n" << synopsis(command);
  out << ".SH DESCRIPTION\n";
  CommandDoc described = command;
  described.description = description;
  write_description(out, described);
  if (!command.positionals.empty()) {
    out << ".SH ARGUMENTS\n";
    write_positionals(out, command.positionals);
  }
  out << ".SH OPTIONS\n";
  write_options(out, command.accepted_options());
  if (command.path.size() == 1) {
    out << ".SH COMMANDS\n";
    for (const auto& sub : command.subcommands) {
      out << ".TP\n"
          << bold(sub.path.back()) << "\n"
          << roff(sub.description) << "\n.br\nSee " << bold(man_page_name(sub)) << "(1).\n";
    }
  } else if (!command.subcommands.empty()) {
    out << ".SH COMMANDS\n";
    for (const auto& sub : command.subcommands) {
      write_subcommand(out, sub);
    }
  }
  std::vector<const CommandDoc*> pages = {&root}; // SEE ALSO: the other pages
  for (const auto& group : root.subcommands) {
    pages.push_back(&group);
  }
  std::string see_also;
  for (const CommandDoc* page : pages) {
    if (page->path != command.path) {
      see_also += (see_also.empty() ? "" : ",\n") + bold(man_page_name(*page)) + "(1)";
    }
  }
  out << ".SH SEE ALSO\n" << see_also << "\n";
  return out.str();
}

} // namespace mdivicom::cli::docs
