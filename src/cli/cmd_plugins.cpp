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
  if (count == 0) { // on stderr: the listing on stdout stays what a script expects
    std::cout.flush();
    spdlog::warn("no plugins found; {}", describe_search(catalog.searched()));
  }
}

void show_plugin(const std::string& ref, const std::string& python_env)
{
  PluginCatalog catalog = make_catalog(python_env);
  std::cout << json_text(catalog.resolve(ref).object) << "\n";
}

nlohmann::json problems_json(const std::vector<ManifestProblem>& problems)
{
  nlohmann::json list = nlohmann::json::array();
  for (const auto& problem : problems) {
    list.push_back({{"pointer", problem.pointer}, {"message", problem.message}});
  }
  return list;
}

// Every problem of every file, in one pass; exit 1 when any file is invalid. --json: one
// object {"valid", "files": [{"file", "valid", "problems": [{"pointer", "message"}]}]}.
void validate_manifests(const std::vector<std::string>& files, bool as_json)
{
  size_t invalid = 0;
  nlohmann::json report = {{"files", nlohmann::json::array()}};
  for (const auto& file : files) {
    const std::vector<ManifestProblem> problems = find_manifest_problems(file);
    invalid += problems.empty() ? 0 : 1;
    if (as_json) {
      report["files"].push_back({{"file", file}, {"valid", problems.empty()}, {"problems", problems_json(problems)}});
      continue;
    }
    if (problems.empty()) {
      std::cout << file << ": ok\n";
    }
    for (const auto& problem : problems) {
      std::cout << file << ": " << to_string(problem) << "\n";
    }
  }
  report["valid"] = invalid == 0;
  if (as_json) {
    std::cout << json_text(report) << "\n";
  }
  if (invalid > 0) {
    std::cout.flush();
    std::cerr << "mdivicom: " << invalid << " of " << files.size() << " manifest(s) invalid\n";
    set_exit_code(static_cast<int>(ExitCode::failed));
  }
}

} // namespace

void add_plugins_commands(CLI::App& app)
{
  auto* plugins = app.add_subcommand("plugins", "List, show and check plugins");
  plugins->require_subcommand(1);
  plugins->footer("Examples:\n"
                  "  mdivicom plugins list\n"
                  "  mdivicom plugins list --python-env ~/venvs/lab --json\n"
                  "  mdivicom plugins info lab/sync-audio\n"
                  "  mdivicom plugins validate ~/.local/share/mdivicom/plugins/*.json\n"
                  "\nPlugins are searched in the entry manifest directories ($MDIVICOM_PLUGIN_PATH, then\n"
                  "$XDG_DATA_HOME/mdivicom/plugins, then the built-in ones), then MDIVICOM_DEV_PLUGIN_ROOTS,\n"
                  "then the entry points of the Python environment (--python-env, $MDIVICOM_PYTHON_ENV,\n"
                  "$VIRTUAL_ENV, or the system Python).");
  plugins->fallthrough(); // so "plugins list --python-env X" works too
  auto python_env = std::make_shared<std::string>();
  plugins->add_option(
      "--python-env", *python_env,
      "A virtual environment whose Python plugins to list (default: $MDIVICOM_PYTHON_ENV, $VIRTUAL_ENV)");

  auto* list = plugins->add_subcommand("list", "List every plugin found (manifests and Python entry points)");
  auto list_json = std::make_shared<bool>(false);
  list->add_flag("--json", *list_json, "Print the normalized plugin objects as JSON");
  list->footer("Examples:\n  mdivicom plugins list\n  mdivicom plugins list --json --python-env ~/venvs/lab\n"
               "\nWhen none is found, stderr says where mdivicom looked.");
  list->callback([list_json, python_env] { list_plugins(*list_json, *python_env); });

  auto* info = plugins->add_subcommand("info", "Print one plugin as JSON");
  auto ref = std::make_shared<std::string>();
  info->add_option("plugin_ref", *ref, "<id> or <publisher>/<id>")->required();
  info->footer("Examples:\n  mdivicom plugins info stream-inventory\n  mdivicom plugins info lab/sync-audio "
               "--python-env ~/venvs/lab");
  info->callback([ref, python_env] { show_plugin(*ref, *python_env); });

  auto* validate = plugins->add_subcommand("validate", "Check manifest files against the v0.1 schema");
  auto files = std::make_shared<std::vector<std::string>>();
  validate->add_option("files", *files, "Manifest files")->required();
  auto validate_json = std::make_shared<bool>(false);
  validate->add_flag("--json", *validate_json, "Print every problem of every file as one JSON object");
  validate->footer("Every problem of a manifest is reported at once, as 'file: /json/pointer: message'; exit 1 "
                   "when a file is invalid.\n\nExamples:\n  mdivicom plugins validate my-plugin.json\n"
                   "  mdivicom plugins validate --json manifests/*.json");
  validate->callback([files, validate_json] { validate_manifests(*files, *validate_json); });
}

} // namespace mdivicom::cli
