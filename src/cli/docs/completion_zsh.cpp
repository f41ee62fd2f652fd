#include "cli/docs/completion.hpp"

#include "core/util/join.hpp"

#include <algorithm>
#include <sstream>

namespace mdivicom::cli::docs {

namespace {

constexpr const char* k_plugin_refs =
    R"zsh(# Plugin refs: the ids `mdivicom plugins list` prints (its first column), whole and without their
# publisher, asked of the mdivicom being completed with the line's --python-env.
_mdivicom_plugin_refs() {
  local -a lines refs env
  local i=${_mdivicom_words[(I)--python-env]}
  (( i )) && env=(--python-env ${~_mdivicom_words[i+1]})
  (( $+commands[${~_mdivicom_program}] )) || [[ -x ${~_mdivicom_program} ]] || return 1
  lines=(${(f)"$(${~_mdivicom_program} plugins list $env 2>/dev/null)"})
  refs=(${${(M)lines:#*$'\t'*}%%$'\t'*})
  refs+=(${refs#*/})
  _wanted plugins expl 'plugin ref' compadd -a refs
}

)zsh";

// Inside a single-quoted word, and in the [description] of an _arguments spec.
std::string quoted_description(const std::string& text)
{
  std::string out;
  for (char c : summary(text)) {
    if (c == '\'') {
      out += "'\\''";
    } else if (c == '[' || c == ']' || c == '\\') {
      out += std::string("\\") + c;
    } else {
      out += c;
    }
  }
  return out;
}

std::string function_name(const CommandDoc& command)
{
  std::string name = "_" + command.joined("_");
  for (char& c : name) {
    c = c == '-' ? '_' : c;
  }
  return name;
}

// '(-j --jobs)'{-j,--jobs}'[Items run at once]:uint: ': the spec of one option.
std::string option_spec(const OptionDoc& option)
{
  std::string spec;
  if (option.repeatable) {
    spec = "'*'";
  } else if (option.names.size() > 1) {
    spec = "'(" + join(option.names, " ") + ")'";
  }
  spec += option.names.size() > 1 ? "{" + join(option.names, ",") + "}" : option.names.front();
  spec += "'[" + quoted_description(option.description) + "]";
  if (!option.choices.empty()) {
    spec += ":value:(" + join(option.choices, " ") + ")";
  } else if (option.value == "TEXT") {
    spec += ":value:_files";
  } else if (!option.value.empty()) {
    spec += ":number: "; // nothing to offer
  }
  return spec + "'";
}

std::string positional_spec(const PositionalDoc& positional)
{
  std::string action = positional.is_plugin_ref() ? "_mdivicom_plugin_refs" : "_files";
  return std::string("'") + (positional.many ? "*" : "") + ":" + positional.name + ":" + action + "'";
}

// The _arguments specs of a command's options and, `with_positionals`, of its positional
// arguments (a command with subcommands completes those in its states instead).
std::vector<std::string> specs(const CommandDoc& command, bool with_positionals)
{
  std::vector<std::string> all;
  for (const auto& option : command.accepted_options()) {
    all.push_back(option_spec(option));
  }
  if (with_positionals) {
    for (const auto& positional : command.positionals) {
      all.push_back(positional_spec(positional));
    }
  }
  return all;
}

constexpr const char* k_continued = " \\\n    ";

void write_function(std::ostream& out, const CommandDoc& command)
{
  out << function_name(command) << "() {\n";
  if (command.path.size() == 1) {
    out << "  local _mdivicom_program=$words[1]\n  local -a _mdivicom_words=($words)\n";
  }
  if (command.subcommands.empty()) {
    out << "  _arguments -s -S" << k_continued << join(specs(command, true), k_continued) << "\n}\n\n";
    return;
  }
  bool refs = !command.positionals.empty() && command.positionals.front().is_plugin_ref();
  out << "  local curcontext=$curcontext state line ret=1\n  typeset -A opt_args\n"
      << "  _arguments -C -s -S" << k_continued << join(specs(command, false), k_continued) << k_continued
      << "': :->command'" << k_continued << "'*:: :->args' && ret=0\n"
      << "  case $state in\n    command)\n      local -a subcommands=(\n"; // not `commands`: zsh's table of them
  for (const auto& sub : command.subcommands) {
    out << "        '" << sub.path.back() << ":" << quoted_description(sub.description) << "'\n";
  }
  out << "      )\n      _describe -t commands '" << command.joined() << " command' subcommands && ret=0\n"
      << (refs ? "      _mdivicom_plugin_refs && ret=0\n" : "") << "      ;;\n    args)\n      case $line[1] in\n";
  for (const auto& sub : command.subcommands) {
    out << "        " << sub.path.back() << ") " << function_name(sub) << " && ret=0 ;;\n";
  }
  if (refs) { // a plugin ref came first: the rest of the line is the command's own
    out << "        *) _arguments -s -S" << k_continued << "    "
        << join(specs(command, true), std::string(k_continued) + "    ") << " && ret=0 ;;\n";
  }
  out << "      esac ;;\n  esac\n  return ret\n}\n\n";
}

} // namespace

std::string zsh_completion(const CommandDoc& root)
{
  std::ostringstream out;
  out << "#compdef mdivicom\n"
      << "# zsh completion for mdivicom. Generated from its command line (src/cli/docs/) at build time.\n"
      << "# Do not edit. Installed in share/zsh/vendor-completions/, which Debian's zsh has in $fpath.\n\n"
      << k_plugin_refs;
  auto commands = all_commands(root);
  std::reverse(commands.begin(), commands.end()); // the root last: it is the entry point
  for (const CommandDoc* command : commands) {
    write_function(out, *command);
  }
  out << "_mdivicom \"$@\"\n";
  return out.str();
}

} // namespace mdivicom::cli::docs
