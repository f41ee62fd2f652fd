#include "cli/docs/completion.hpp"

#include "core/util/join.hpp"

#include <algorithm>
#include <sstream>

namespace mdivicom::cli::docs {

namespace {

// The helper and the head of _mdivicom: which command the line is in (path), skipping the value
// of an option that takes one. The case patterns of both loops are filled in by the generator.
constexpr const char* k_plugin_refs =
    R"bash(# Plugin refs: the ids `mdivicom plugins list` prints (its first column), whole and without their
# publisher, asked of the mdivicom being completed with the line's --python-env.
_mdivicom_plugin_refs()
{
    local program=$1 env=() i id kind
    for ((i = 1; i + 1 < ${#COMP_WORDS[@]}; i++)); do
        if [[ ${COMP_WORDS[i]} == --python-env ]]; then
            env=(--python-env "${COMP_WORDS[i + 1]/#\~/$HOME}")
        fi
    done
    [[ $program == \~/* ]] && program=$HOME/${program#\~/}
    "$program" plugins list "${env[@]}" 2>/dev/null | while IFS=$'\t' read -r id kind _; do
        [[ -n $kind ]] && printf '%s\n%s\n' "$id" "${id#*/}"
    done
}

)bash";

// 'mdivicom plugins|list' | 'mdivicom|run': the case pattern of `words` after `path`.
std::string patterns(const CommandDoc& command, const std::vector<std::string>& words)
{
  std::vector<std::string> quoted;
  quoted.reserve(words.size());
  for (const auto& word : words) {
    quoted.push_back("'" + command.joined() + "|" + word + "'");
  }
  return join(quoted, " | ");
}

// The words of a reply: $(compgen ...) expansions, into COMPREPLY=(...).
std::string compgen_words(const std::vector<std::string>& words)
{
  return "$(compgen -W '" + join(words, " ") + "' -- \"$cur\")";
}

constexpr const char* k_file_names = "$(compgen -f -- \"$cur\")";
constexpr const char* k_plugin_ref_words =
    "$(compgen -W \"$(_mdivicom_plugin_refs \"${COMP_WORDS[0]}\")\" -- \"$cur\")";

std::string reply(const std::vector<std::string>& expansions, bool files)
{
  return "COMPREPLY=(" + join(expansions, " ") + ")" + (files ? "; compopt -o filenames 2>/dev/null" : "");
}

// What a word that is not an option completes to at a command with subcommands or positional
// arguments: the subcommands, and plugin refs or file names for the positionals.
std::string words_at(const CommandDoc& command)
{
  std::vector<std::string> subcommands;
  for (const auto& sub : command.subcommands) {
    subcommands.push_back(sub.path.back());
  }
  bool refs = !command.positionals.empty() && command.positionals.front().is_plugin_ref();
  bool files = !command.positionals.empty() && !refs;
  std::vector<std::string> expansions;
  if (!subcommands.empty()) {
    expansions.push_back(compgen_words(subcommands));
  }
  if (refs) {
    expansions.emplace_back(k_plugin_ref_words);
  } else if (files) {
    expansions.emplace_back(k_file_names);
  }
  return reply(expansions, files);
}

} // namespace

std::string bash_completion(const CommandDoc& root)
{
  const auto commands = all_commands(root);
  std::ostringstream out;
  out << "# bash completion for mdivicom. Generated from its command line (src/cli/docs/) at build time.\n"
      << "# Do not edit. Installed in share/bash-completion/completions/, bash-completion loads it on first use.\n\n"
      << k_plugin_refs;
  out << "_mdivicom()\n{\n"
      << "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
      << "    local path=mdivicom word i skip=0\n"
      << "    COMPREPLY=()\n"
      << "    # The command the line is in: its subcommands followed, the values of its options skipped.\n"
      << "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
      << "        word=${COMP_WORDS[i]}\n"
      << "        if ((skip)); then\n            skip=0\n            continue\n        fi\n"
      << "        case \"$path|$word\" in\n";
  for (const CommandDoc* command : commands) {
    std::vector<std::string> names;
    for (const auto& sub : command->subcommands) {
      names.push_back(sub.path.back());
    }
    if (!names.empty()) {
      out << "        " << patterns(*command, names) << ")\n            path+=\" $word\" ;;\n";
    }
    if (auto valued = command->valued_option_names(); !valued.empty()) {
      out << "        " << patterns(*command, valued) << ")\n            skip=1 ;;\n";
    }
  }
  out << "        esac\n    done\n\n"
      << "    # The value of an option: its choices, or a file name.\n"
      << "    case \"$path|$prev\" in\n";
  // One case per reply, with the patterns of every option that gets it.
  std::vector<std::pair<std::string, std::vector<std::string>>> replies;
  for (const CommandDoc* command : commands) {
    for (const auto& option : command->accepted_options()) {
      if (option.value.empty()) {
        continue;
      }
      std::string action = !option.choices.empty()  ? reply({compgen_words(option.choices)}, false)
                           : option.value != "TEXT" ? ":" // a number: nothing to offer
                                                    : reply({k_file_names}, true);
      auto same = std::find_if(replies.begin(), replies.end(), [&](const auto& each) { return each.first == action; });
      if (same == replies.end()) {
        same = replies.insert(replies.end(), {action, {}});
      }
      same->second.push_back(patterns(*command, option.names));
    }
  }
  for (const auto& [action, option_patterns] : replies) {
    out << "    " << join(option_patterns, " | \\\n    ") << ")\n        " << action << "\n        return ;;\n";
  }
  out << "    esac\n\n"
      << "    case \"$path\" in\n";
  for (const CommandDoc* command : commands) {
    std::string options = reply({compgen_words(option_names(command->accepted_options()))}, false);
    out << "    '" << command->joined() << "')\n";
    if (command->subcommands.empty() && command->positionals.empty()) {
      out << "        " << options << " ;;\n";
      continue;
    }
    out << "        if [[ $cur == -* ]]; then\n"
        << "            " << options << "\n"
        << "        else\n"
        << "            " << words_at(*command) << "\n"
        << "        fi ;;\n";
  }
  out << "    esac\n}\n\ncomplete -F _mdivicom mdivicom\n";
  return out.str();
}

} // namespace mdivicom::cli::docs
