#include "cli/commands.hpp"

#include "core/plugins/manifest_source.hpp"
#include "core/util/error.hpp"

#include <iostream>

#include <spdlog/spdlog.h>

namespace mdivicom::cli {

namespace {

// Streams: each plugin is printed as soon as it is read and then dropped, so listing thousands
// of manifests stays small in memory. The JSON form is byte-equal to dump_json of the array.
void list_plugins(bool as_json, const std::string& python_env)
{
  PluginCatalog catalog = make_catalog(python_env);
  size_t count = 0;
  if (as_json) {
    catalog.for_each([&](const Plugin& plugin) {
      ++count;
      std::string text = json_text(plugin.object);
      std::string indented = count == 1 ? "[\n  " : ",\n  ";
      for (char c : text) {
        indented += c;
        if (c == '\n') {
          indented += "  ";
        }
      }
      std::cout << indented;
    });
  } else {
    catalog.for_each_summary([&](const PluginSummary& plugin) {
      ++count;
      std::cout << plugin.ref() << "\t" << plugin.kind << "\t" << plugin.version << "\n";
      if (plugin.is_error()) {
        spdlog::warn("{}: {}", plugin.origin, plugin.error);
      }
    });
  }
  if (as_json) {
    std::cout << (count == 0 ? "[]\n" : "\n]\n");
  } else if (count == 0) {
    std::cout << "(no plugins found)\n";
  }
}

void show_plugin(const std::string& ref, const std::string& python_env)
{
  PluginCatalog catalog = make_catalog(python_env);
  std::cout << json_text(catalog.resolve(ref).object) << "\n";
}

void validate_manifests(const std::vector<std::string>& files)
{
  size_t invalid = 0;
  for (const auto& file : files) {
    auto problems = check_manifest(file);
    if (problems.empty()) {
      std::cout << file << ": ok\n";
      continue;
    }
    ++invalid;
    for (const auto& problem : problems) {
      std::cout << problem << "\n";
    }
  }
  if (invalid > 0) {
    std::cerr << "mdivicom: " << invalid << " of " << files.size() << " manifest(s) invalid\n";
    set_exit_code(static_cast<int>(ExitCode::failed));
  }
}

} // namespace

void add_plugins_commands(CLI::App& app)
{
  auto* plugins = app.add_subcommand("plugins", "List, show and check plugins");
  plugins->require_subcommand(1);
  plugins->fallthrough(); // so "plugins list --python-env X" works too
  auto python_env = std::make_shared<std::string>();
  plugins->add_option(
      "--python-env", *python_env,
      "A virtual environment whose Python plugins to list (default: $MDIVICOM_PYTHON_ENV, $VIRTUAL_ENV)");

  auto* list = plugins->add_subcommand("list", "List every plugin found (manifests and Python entry points)");
  auto list_json = std::make_shared<bool>(false);
  list->add_flag("--json", *list_json, "Print the normalized plugin objects as JSON");
  list->callback([list_json, python_env] { list_plugins(*list_json, *python_env); });

  auto* info = plugins->add_subcommand("info", "Print one plugin as JSON");
  auto ref = std::make_shared<std::string>();
  info->add_option("plugin_ref", *ref, "<id> or <publisher>/<id>")->required();
  info->callback([ref, python_env] { show_plugin(*ref, *python_env); });

  auto* validate = plugins->add_subcommand("validate", "Check manifest files against the v0.1 schema");
  auto files = std::make_shared<std::vector<std::string>>();
  validate->add_option("files", *files, "Manifest files")->required();
  validate->callback([files] { validate_manifests(*files); });
}

} // namespace mdivicom::cli
