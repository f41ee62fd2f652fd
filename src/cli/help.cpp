#include "cli/help.hpp"

#include "cli/usage_hint.hpp"
#include "core/util/error.hpp"
#include "core/util/near_name.hpp"

#include <iostream>
#include <memory>

namespace mdivicom::cli {

namespace {

// name, what it does: one line each in the help, in the order a new user needs them.
constexpr const char* k_environment[][2] = {
    {"MDIVICOM_PLUGIN_PATH", "directories of entry manifests (*.json), colon-separated, searched first"},
    {"MDIVICOM_DEV_PLUGIN_ROOTS", "Python plugin source trees (with a pyproject.toml), colon-separated; they shadow "
                                  "installed copies"},
    {"MDIVICOM_PYTHON_ENV", "the virtual environment of Python plugins when --python-env is not given"},
    {"VIRTUAL_ENV", "the active virtual environment, used after MDIVICOM_PYTHON_ENV"},
    {"MDIVICOM_PLUGIN_CACHE", "off: call get_plugin() on every listing instead of caching its result"},
    {"MDIVICOM_GET_PLUGIN_TIMEOUT", "seconds a plugin's get_plugin() may take (default 10)"},
    {"MDIVICOM_LOG_LIMIT", "the most a run log keeps of a plugin's output: bytes, or K, M, G (default 64M)"},
    {"MDIVICOM_SANDBOX", "off: run Python plugins without their namespaces (Landlock only)"},
    {"MDIVICOM_LANDLOCK", "off: run Python plugins without Landlock"},
    {"MDIVICOM_SANDBOX_EXPOSE", "paths a Python plugin may see although they are hidden by default, colon-separated"},
    {"DOCKER_HOST, CONTAINER_HOST", "the container engine's socket (unix:// only) when --engine is not given"},
    {"MDIVICOM_MODULE_DIR", "where mdivicom's modules (mdivicom-*.so) are, when not next to the binary"},
    {"XDG_DATA_HOME", "user manifests in $XDG_DATA_HOME/mdivicom/plugins (default ~/.local/share)"},
    {"XDG_CACHE_HOME", "caches: hashes, plugin listings, extracted datasets (default ~/.cache)"},
    {"TMPDIR", "where each run's private scratch directory is made (default /tmp)"},
    {"SOURCE_DATE_EPOCH", "the time stamp of the entries 'mdivicom pack' writes (default 0)"},
};

// The command `path` names under `app`; throws a usage Error with the nearest name otherwise.
const CLI::App* command_named(const CLI::App& app, const std::vector<std::string>& path)
{
  const CLI::App* command = &app;
  for (const auto& name : path) {
    std::vector<const CLI::App*> subcommands =
        command->get_subcommands([](const CLI::App* sub) { return !sub->get_name().empty(); });
    const CLI::App* found = nullptr;
    std::vector<std::string> names;
    for (const CLI::App* sub : subcommands) {
      names.push_back(sub->get_name());
      found = sub->check_name(name) ? sub : found;
    }
    if (found == nullptr) {
      std::string message = "'" + command_path(*command) + "' has no command '" + name + "'";
      std::string near = nearest_name(name, names);
      if (!near.empty()) {
        message += "; did you mean '" + near + "'?";
      } else if (!names.empty()) {
        message += "; its commands: " + subcommand_names(*command);
      }
      throw usage_error(message);
    }
    command = found;
  }
  return command;
}

} // namespace

void add_help_command(CLI::App& app)
{
  auto path = std::make_shared<std::vector<std::string>>();
  auto* help =
      app.add_subcommand("help", "Show the help of mdivicom or of one command: mdivicom help plugins validate");
  help->add_option("command", *path, "A command and its subcommand, e.g. 'plugins validate'");
  help->footer("Examples:\n  mdivicom help\n  mdivicom help run\n  mdivicom help plugins validate");
  const CLI::App* top = &app;
  help->callback([top, path] { std::cout << help_text(*command_named(*top, *path)); });
}

std::string top_level_footer()
{
  std::string text = "Environment:\n";
  for (const auto& [name, meaning] : k_environment) {
    text += "  " + std::string(name) + "\n      " + meaning + "\n";
  }
  text += "\nExamples:\n"
          "  mdivicom plugins list\n"
          "  mdivicom run stream-inventory --dataset examples/dataset --out /tmp/out\n"
          "  mdivicom verify /tmp/out\n"
          "  mdivicom help run\n"
          "\nGlobal options (-v, -q, --version) may also follow the command. A command without its subcommand "
          "(mdivicom plugins) prints its usage and exits 2; 'mdivicom help <command>' prints it and exits 0. Exit "
          "codes: see the README.";
  return text;
}

} // namespace mdivicom::cli
