#include "cli/docs/completion.hpp"

#include "core/util/join.hpp"

#include <sstream>

namespace mdivicom::cli::docs {

namespace {

constexpr const char* k_helpers =
    R"fish(# Plugin refs: the ids `mdivicom plugins list` prints (its first column), whole and without their
# publisher, asked of the mdivicom being completed with the line's --python-env.
function __mdivicom_plugin_refs
    set -l words (commandline -opc)
    command -q $words[1]; or return
    set -l env
    if set -l i (contains -i -- --python-env $words); and test $i -lt (count $words)
        set env --python-env $words[(math $i + 1)]
    end
    $words[1] plugins list $env 2>/dev/null | string match -r '^[^\t]+(?=\t)' | while read -l id
        echo $id
        string replace -r '^[^/]*/' '' -- $id
    end
end

function __mdivicom_at --description 'whether the line is in this mdivicom command ("mdivicom plugins list")'
    test (__mdivicom_path) = "$argv[1]"
end

)fish";

// In fish's single quotes: only ' and \ are special.
std::string quoted(const std::string& text)
{
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "'";
}

std::string complete_at(const CommandDoc& command)
{
  return "complete -c mdivicom -n " + quoted("__mdivicom_at " + quoted(command.joined()));
}

// 'mdivicom plugins|list' 'mdivicom|run': the case patterns of `words` after `command`.
std::string patterns(const CommandDoc& command, const std::vector<std::string>& words)
{
  std::vector<std::string> quoted_words;
  quoted_words.reserve(words.size());
  for (const auto& word : words) {
    quoted_words.push_back(quoted(command.joined() + "|" + word));
  }
  return join(quoted_words, " ");
}

void write_path_function(std::ostream& out, const std::vector<const CommandDoc*>& commands)
{
  out << "# The command the line is in: its subcommands followed, the values of its options skipped.\n"
      << "function __mdivicom_path\n    set -l path mdivicom\n    set -l skip 0\n"
      << "    for word in (commandline -opc)[2..-1]\n"
      << "        if test $skip = 1\n            set skip 0\n            continue\n        end\n"
      << "        switch \"$path|$word\"\n";
  for (const CommandDoc* command : commands) {
    std::vector<std::string> names;
    for (const auto& sub : command->subcommands) {
      names.push_back(sub.path.back());
    }
    if (!names.empty()) {
      out << "            case " << patterns(*command, names) << "\n                set path \"$path $word\"\n";
    }
    if (auto valued = command->valued_option_names(); !valued.empty()) {
      out << "            case " << patterns(*command, valued) << "\n                set skip 1\n";
    }
  }
  out << "        end\n    end\n    echo $path\nend\n\n";
}

void write_command(std::ostream& out, const CommandDoc& command)
{
  for (const auto& sub : command.subcommands) {
    out << complete_at(command) << " -a " << sub.path.back() << " -d " << quoted(summary(sub.description)) << "\n";
  }
  for (const auto& option : command.accepted_options()) {
    out << complete_at(command);
    for (const auto& name : option.names) {
      out << (name.starts_with("--") ? " -l " + name.substr(2) : " -s " + name.substr(1));
    }
    if (!option.choices.empty()) {
      out << " -x -a " << quoted(join(option.choices, " "));
    } else if (option.value == "TEXT") {
      out << " -r -F";
    } else if (!option.value.empty()) {
      out << " -x"; // a number: nothing to offer
    }
    out << " -d " << quoted(summary(option.description)) << "\n";
  }
  if (!command.positionals.empty()) {
    const auto& positional = command.positionals.front();
    out << complete_at(command)
        << (positional.is_plugin_ref() ? " -a '(__mdivicom_plugin_refs)' -d 'plugin ref'" : " -F") << "\n";
  }
}

} // namespace

std::string fish_completion(const CommandDoc& root)
{
  std::ostringstream out;
  out << "# fish completion for mdivicom. Generated from its command line (src/cli/docs/) at build time.\n"
      << "# Do not edit. Installed in share/fish/vendor_completions.d/, which fish loads on first use.\n\n"
      << k_helpers;
  auto commands = all_commands(root);
  write_path_function(out, commands);
  out << "complete -c mdivicom -f # file names only where an option or argument takes one\n";
  for (const CommandDoc* command : commands) {
    write_command(out, *command);
  }
  return out.str();
}

} // namespace mdivicom::cli::docs
