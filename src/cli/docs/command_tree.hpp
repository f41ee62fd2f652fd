#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

// The command line as a plain tree, read from the CLI11 app that --help prints (cli::define_app):
// what the man pages and the shell completions are generated from, so none of them is written a
// second time by hand. The one file of docs/ that knows CLI11's API.

namespace mdivicom::cli::docs {

struct OptionDoc
{
  std::vector<std::string> names; // "-j", "--jobs": short names first, as --help shows them
  std::string description;
  std::string value;                // the value's type as --help names it (TEXT, UINT, FLOAT); "" for a flag
  std::vector<std::string> choices; // the values an IsMember check allows, in its order
  bool required = false;
  bool repeatable = false; // takes several values (--dataset A --dataset B)
};

struct PositionalDoc
{
  std::string name; // plugin_ref, files, out
  std::string description;
  bool required = false;
  bool many = false;
  // Completed from `mdivicom plugins list` instead of from file names.
  bool is_plugin_ref() const { return name.starts_with("plugin_ref"); }
};

struct CommandDoc
{
  std::vector<std::string> path; // {"mdivicom", "plugins", "list"}
  std::string description;
  std::string footer;
  std::vector<OptionDoc> options; // in --help's order
  std::vector<PositionalDoc> positionals;
  std::vector<CommandDoc> subcommands; // in --help's order
  // Options this command takes from its parent as well (CLI11's fallthrough: plugins --python-env).
  std::vector<OptionDoc> inherited_options;

  std::string joined(const std::string& separator = " ") const;
  // Every option the command accepts after its name: its own, then the inherited ones.
  std::vector<OptionDoc> accepted_options() const;
  // Options that take a value (the next word is that value, not a command or positional).
  std::vector<std::string> valued_option_names() const;
};

// The tree of `app` and every subcommand it shows in --help (hidden ones are left out).
CommandDoc command_tree(const CLI::App& app);

// `root` and every command below it, parents before their subcommands.
std::vector<const CommandDoc*> all_commands(const CommandDoc& root);

// Every name of every option, or of the options that take a value.
std::vector<std::string> option_names(const std::vector<OptionDoc>& options);

// The description's first clause, for one-line listings (a man page's NAME, a completion's hint):
// up to the first ": ", "; " or ". " that ends a sentence, outside brackets.
std::string summary(const std::string& description);

} // namespace mdivicom::cli::docs
