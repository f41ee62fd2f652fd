// The man pages and shell completions the build generates (build/docs/, by src/cli/docs/), checked
// against what the binary itself says: a page per command group that names every option its
// --help lists, and completions that complete what the command line accepts.

#include <catch2/catch.hpp>

#include "cli/commands.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <algorithm>
#include <set>
#include <sstream>

using namespace mdivicom::test;
namespace fs = std::filesystem;

namespace {

const fs::path k_docs = MDIVICOM_DOCS_DIR;

std::vector<std::string> lines_of(const std::string& text)
{
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

// The entries of a section of a --help text ("Options:", "Subcommands:"): the first word of each
// of its lines, split at commas ("-h,--help" gives -h and --help).
std::vector<std::string> help_section(const std::string& help, const std::string& section)
{
  std::vector<std::string> entries;
  bool inside = false;
  for (const auto& line : lines_of(help)) {
    if (!line.starts_with(" ")) {
      inside = line == section;
      continue;
    }
    size_t start = line.find_first_not_of(' ');
    if (!inside || start != 2) {
      continue; // a wrapped description
    }
    std::string word = line.substr(start, line.find(' ', start) - start);
    for (size_t from = 0; from <= word.size();) {
      size_t comma = std::min(word.find(',', from), word.size());
      entries.push_back(word.substr(from, comma - from));
      from = comma + 1;
    }
  }
  return entries;
}

std::string help_of(const std::vector<std::string>& command)
{
  std::vector<std::string> args = command;
  args.push_back("--help");
  CommandResult result = run_mdivicom(args);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

// A man page as its reader sees the words: roff's \- and font escapes taken out.
std::string man_text(const fs::path& page)
{
  std::string text = read_file(page);
  for (const std::string escape : {"\\fB", "\\fI", "\\fR", "\\&"}) {
    for (size_t at; (at = text.find(escape)) != std::string::npos;) {
      text.erase(at, escape.size());
    }
  }
  for (size_t at; (at = text.find("\\-")) != std::string::npos;) {
    text.erase(at, 1);
  }
  return text;
}

// `option` as a whole word of `text`: --out is not found in --output.
bool names_option(const std::string& text, const std::string& option)
{
  auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; };
  for (size_t at = text.find(option); at != std::string::npos; at = text.find(option, at + 1)) {
    bool starts = at == 0 || !word_char(text[at - 1]);
    bool ends = at + option.size() == text.size() || !word_char(text[at + option.size()]);
    if (starts && ends) {
      return true;
    }
  }
  return false;
}

// What the generated bash completion offers for `line` (the cursor at its end; a trailing space
// starts a new word), one word a line, in bash without bash-completion.
std::set<std::string> bash_complete(const std::string& line, const CommandOptions& options = {})
{
  CommandOptions with_line = options;
  with_line.env["LINE"] = line;
  const std::string script = "source '" + (k_docs / "bash-completion" / "completions" / "mdivicom").string() +
                             "'\n"
                             "read -ra COMP_WORDS <<< \"$LINE\"\n"
                             "[[ $LINE == *' ' ]] && COMP_WORDS+=('')\n"
                             "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
                             "_mdivicom\n"
                             "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
  CommandResult result = run_command({"bash", "--norc", "--noprofile", "-c", script}, with_line);
  INFO(line << "\n" << result.err);
  REQUIRE(result.exit_code == 0);
  auto words = lines_of(result.out);
  words.erase(std::remove(words.begin(), words.end(), ""), words.end());
  return {words.begin(), words.end()};
}

std::set<std::string> long_options(const std::vector<std::string>& options)
{
  std::set<std::string> names;
  for (const auto& option : options) {
    if (option.starts_with("--")) {
      names.insert(option);
    }
  }
  return names;
}

// Whether `expected` (not in `line` itself) shows on the screen of an interactive zsh, with the
// completion functions of `fpath_dir` and compinit, once `line` and a TAB are typed.
bool zsh_completes(const fs::path& fpath_dir, const std::string& line, const std::string& expected)
{
  const std::string script = R"zsh(
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z "PS1='> '; fpath=($FPATH_DIR \$fpath); PATH=$BUILD_DIR:\$PATH; autoload -U compinit; compinit -u -D"
zpty -n -w z "$LINE"$'\t'
local out chunk i
for i in {1..100}; do
  while zpty -r -t z chunk; do out+=$chunk; done
  [[ ${out//$'\e'\[[0-9;?]#[a-zA-Z]/} == *"$EXPECTED"* ]] && { zpty -d z; exit 0 }
  sleep 0.1
done
print -r -- "${out//$'\e'\[[0-9;?]#[a-zA-Z]/}"
zpty -d z
exit 1
)zsh";
  CommandOptions options;
  options.env = {{"FPATH_DIR", fpath_dir.string()},
                 {"BUILD_DIR", fs::path(MDIVICOM_BINARY).parent_path().string()},
                 {"LINE", line},
                 {"EXPECTED", expected}};
  options.timeout_s = 30;
  CommandResult result = run_command({"zsh", "-f", "-c", script}, options);
  UNSCOPED_INFO(line << " -> " << expected << ":\n" << result.out << result.err);
  return result.exit_code == 0;
}

} // namespace

TEST_CASE("every command group has a generated man page that names each option and subcommand its --help lists",
          "[cli][docs]")
{
  const fs::path man1 = k_docs / "man" / "man1";
  std::string root_page = man_text(man1 / "mdivicom.1");
  for (const auto& option : help_section(help_of({}), "Options:")) {
    INFO("mdivicom(1): " << option);
    CHECK(names_option(root_page, option));
  }
  for (const auto& group : mdivicom::cli::k_command_groups) {
    CHECK_THAT(root_page, Catch::Contains(std::string("mdivicom-") + group.name + "(1)"));
    fs::path path = man1 / (std::string("mdivicom-") + group.name + ".1");
    INFO(path);
    REQUIRE(fs::is_regular_file(path));
    std::string page = man_text(path);
    std::string help = help_of({group.name});
    for (const auto& option : help_section(help, "Options:")) {
      INFO(option);
      CHECK(names_option(page, option));
    }
    for (const auto& positional : help_section(help, "Positionals:")) {
      CHECK(names_option(page, positional));
    }
    for (const auto& sub : help_section(help, "Subcommands:")) {
      INFO(group.name << " " << sub);
      CHECK_THAT(page, Catch::Contains(".SS \"mdivicom " + std::string(group.name) + " " + sub + "\""));
      for (const auto& option : help_section(help_of({group.name, sub}), "Options:")) {
        INFO(option);
        CHECK(names_option(page, option));
      }
    }
  }
  // No page of a command that does not exist: one per group, and mdivicom(1).
  CHECK(std::distance(fs::directory_iterator(man1), fs::directory_iterator()) ==
        static_cast<long>(std::size(mdivicom::cli::k_command_groups) + 1));
}

TEST_CASE("the generated man pages are roff that groff formats without a warning", "[cli][docs]")
{
  if (run_command({"sh", "-c", "command -v groff"}).exit_code != 0) {
    WARN("groff is not installed: the pages are not formatted");
    return;
  }
  for (const auto& entry : fs::directory_iterator(k_docs / "man" / "man1")) {
    CommandResult formatted = run_command({"groff", "-man", "-Tutf8", "-ww", "-z", entry.path().string()});
    INFO(entry.path() << "\n" << formatted.err);
    CHECK(formatted.exit_code == 0);
    CHECK(formatted.err.empty());
  }
}

TEST_CASE("bash completes commands, subcommands, options, their choices, file names and plugin refs", "[cli][docs]")
{
  CommandResult parsed =
      run_command({"bash", "-n", (k_docs / "bash-completion" / "completions" / "mdivicom").string()});
  INFO(parsed.err);
  REQUIRE(parsed.exit_code == 0);
  const std::string mdivicom = MDIVICOM_BINARY;
  CHECK(bash_complete(mdivicom + " ru") == std::set<std::string>({"run", "runs"}));
  CHECK(bash_complete(mdivicom + " p") == std::set<std::string>{"plugins", "pack"});
  CHECK(bash_complete(mdivicom + " --v") == std::set<std::string>{"--verbose", "--version"});
  // Every long option of run's --help, and no other word.
  CHECK(bash_complete(mdivicom + " run --") == long_options(help_section(help_of({"run"}), "Options:")));
  CHECK(bash_complete(mdivicom + " run --backend ") == std::set<std::string>{"auto", "python", "docker", "podman"});
  CHECK(bash_complete(mdivicom + " plugins ") == std::set<std::string>{"list", "info", "validate"});
  // plugins' --python-env is accepted after its subcommand too (CLI11's fallthrough).
  CHECK(bash_complete(mdivicom + " plugins list --") == std::set<std::string>{"--help", "--json", "--python-env"});
  CHECK(bash_complete(mdivicom + " plugins --python-env venv ") == std::set<std::string>{"list", "info", "validate"});

  TempDir dir;
  write_file(dir / "datasets" / "session-a" / "x.csv", "t\n");
  CHECK(bash_complete(mdivicom + " run --dataset " + (dir / "datasets" / "ses").string()) ==
        std::set<std::string>{(dir / "datasets" / "session-a").string()});
  CHECK(bash_complete(mdivicom + " run --timeout ").empty()); // a number: no file names

  // Plugin refs from `plugins list` of the mdivicom being completed: whole and without publisher.
  CommandOptions options = isolated_options(dir);
  auto refs = bash_complete(mdivicom + " run ", options);
  CHECK(refs.count("mdivicom-examples/stream-summary") == 1);
  CHECK(refs.count("stream-summary") == 1);
  CHECK(bash_complete(mdivicom + " plugins info stream-s", options) == std::set<std::string>{"stream-summary"});
  CHECK(bash_complete(mdivicom + " batch st", options) == std::set<std::string>{"status", "stream-summary"});
}

TEST_CASE("the zsh and fish completions parse and complete commands, options, their choices and plugin refs",
          "[cli][docs]")
{
  const fs::path zsh_file = k_docs / "zsh" / "vendor-completions" / "_mdivicom";
  const fs::path fish_file = k_docs / "fish" / "vendor_completions.d" / "mdivicom.fish";
  for (const auto& file : {zsh_file, fish_file}) {
    std::string text = read_file(file);
    for (const auto& group : mdivicom::cli::k_command_groups) {
      CHECK(names_option(text, group.name));
    }
    for (const auto& option : long_options(help_section(help_of({"run"}), "Options:"))) {
      INFO(file << ": " << option);
      CHECK(names_option(text, option.substr(file == fish_file ? 2 : 0))); // fish: -l dataset
    }
  }
  if (run_command({"sh", "-c", "command -v zsh"}).exit_code == 0) {
    CommandResult parsed = run_command({"zsh", "-n", zsh_file.string()});
    INFO(parsed.err);
    CHECK(parsed.exit_code == 0);
    // An interactive zsh on a pseudo-terminal, with compinit and the build's mdivicom on PATH.
    CHECK(zsh_completes(zsh_file.parent_path(), "mdivicom run --ba", "--backend"));
    CHECK(zsh_completes(zsh_file.parent_path(), "mdivicom run --backend ", "podman"));
    CHECK(zsh_completes(zsh_file.parent_path(), "mdivicom plugins ", "validate"));
    CHECK(zsh_completes(zsh_file.parent_path(), "mdivicom batch ", "stream-summary"));
    CHECK_FALSE(zsh_completes(zsh_file.parent_path(), "mdivicom run --ba", "--bogus")); // the check can fail
  } else {
    WARN("zsh is not installed: _mdivicom is not tried (scripts/install-deps.sh installs it)");
  }
  if (run_command({"sh", "-c", "command -v fish"}).exit_code != 0) {
    WARN("fish is not installed: mdivicom.fish is not tried (scripts/install-deps.sh installs it)");
    return;
  }
  CommandResult parsed = run_command({"fish", "--no-config", "-n", fish_file.string()});
  INFO(parsed.err);
  CHECK(parsed.exit_code == 0);
  TempDir dir; // no plugins of the machine's
  auto fish_complete = [&](const std::string& line) {
    CommandOptions options = isolated_options(dir);
    options.env["LINE"] = line;
    CommandResult result =
        run_command({"fish", "--no-config", "-c", "source " + fish_file.string() + "; complete -C \"$LINE\""}, options);
    INFO(line << "\n" << result.err);
    REQUIRE(result.exit_code == 0);
    std::set<std::string> words;
    for (const auto& candidate : lines_of(result.out)) {
      words.insert(candidate.substr(0, candidate.find('\t'))); // without its description
    }
    return words;
  };
  CHECK(fish_complete("mdivicom ru") == std::set<std::string>({"run", "runs"}));
  CHECK(fish_complete("mdivicom plugins ") == std::set<std::string>{"list", "info", "validate"});
  CHECK(fish_complete("mdivicom run --backend ") == std::set<std::string>{"auto", "python", "docker", "podman"});
  auto run_options = fish_complete("mdivicom run --");
  for (const auto& option : long_options(help_section(help_of({"run"}), "Options:"))) {
    CHECK(run_options.count(option) == 1);
  }
  CHECK(fish_complete(std::string(MDIVICOM_BINARY) + " run stream-s") == std::set<std::string>{"stream-summary"});
}
