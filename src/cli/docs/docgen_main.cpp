// mdivicom_docgen OUT_DIR: writes the man pages and the shell completions of mdivicom's command
// line into OUT_DIR, laid out as they are installed under share/: man/man1/,
// bash-completion/completions/, zsh/vendor-completions/, fish/vendor_completions.d/. The build
// runs it (CMakeLists.txt); it is not installed.

#include "build_info.hpp"
#include "cli/app.hpp"
#include "cli/commands.hpp"
#include "cli/docs/completion.hpp"
#include "cli/docs/manpage.hpp"
#include "core/util/fs.hpp"

#include <exception>
#include <iostream>

namespace fs = std::filesystem;
using namespace mdivicom::cli::docs;

namespace {

void write(const fs::path& path, const std::string& text)
{
  fs::create_directories(path.parent_path());
  mdivicom::write_file_atomic(path, text, mdivicom::Durability::atomic);
}

} // namespace

int main(int argc, char** argv)
{
  if (argc != 2) {
    std::cerr << "usage: mdivicom_docgen OUT_DIR\n";
    return 2;
  }
  try {
    CLI::App app;
    mdivicom::cli::GlobalOptions options;
    mdivicom::cli::define_app(app, options); // every group, as `mdivicom --help` builds them
    const CommandDoc root = command_tree(app);
    const fs::path out = argv[1];
    const std::string version = std::string("mdivicom ") + mdivicom::build_info::k_version;
    write(out / "man" / "man1" / (man_page_name(root) + ".1"), man_page(root, root, version));
    for (const auto& group : root.subcommands) {
      if (group.path.back() == "help") {
        continue; // `mdivicom help X` is `man mdivicom-X`; it needs no page of its own
      }
      write(out / "man" / "man1" / (man_page_name(group) + ".1"), man_page(group, root, version));
    }
    write(out / "bash-completion" / "completions" / "mdivicom", bash_completion(root));
    write(out / "zsh" / "vendor-completions" / "_mdivicom", zsh_completion(root));
    write(out / "fish" / "vendor_completions.d" / "mdivicom.fish", fish_completion(root));
  } catch (const std::exception& e) {
    std::cerr << "mdivicom_docgen: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
