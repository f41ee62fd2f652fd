// `mdivicom doctor`: can this machine run plugins, and if not, what to do about it.
#include "cli/commands.hpp"

#include <iostream>

#include "core/plugins/manifest_source.hpp"
#include "lanes/container/container.hpp"
#include "lanes/inproc/inproc.hpp"

namespace mdivicom::cli {

namespace {

namespace fs = std::filesystem;

struct DoctorArguments
{
  std::string engine;
  std::string python_env;
  bool json = false;
};

nlohmann::json search_path_facts()
{
  nlohmann::json dirs = nlohmann::json::array();
  for (const auto& dir : manifest_search_path()) {
    std::error_code error;
    nlohmann::json entry = {{"path", dir.string()}, {"exists", fs::is_directory(dir, error)}};
    if (entry["exists"]) {
      int manifests = 0;
      for (const auto& file : fs::directory_iterator(dir, error)) {
        manifests += file.path().extension() == ".json" ? 1 : 0;
      }
      entry["manifests"] = manifests;
    } else {
      entry["fix"] = "create it to add manifests there, or set MDIVICOM_PLUGIN_PATH";
    }
    dirs.push_back(entry);
  }
  return dirs;
}

// Every plugin the catalog finds (as `plugins list`), and where it looked.
nlohmann::json plugin_facts(const std::string& python_env)
{
  nlohmann::json facts = {{"found", 0}};
  try {
    PluginCatalog catalog = make_catalog(python_env);
    int found = 0;
    catalog.for_each_summary([&](const PluginSummary& plugin) { found += plugin.is_error() ? 0 : 1; });
    facts["found"] = found;
    PluginSearch search = catalog.searched();
    facts["looked_in"] = search.places;
    facts["try"] = search.tries;
  } catch (const Error& error) {
    facts["error"] = error.what();
  }
  return facts;
}

// Doctor's verdict: ok when at least one lane can run a plugin. What only limits what can be
// found (a missing manifest directory, no plugin at all) is a warning: a Python lane that works
// with no manifest directory is a working setup, an empty one with no lane is not.
bool any_lane_works(const nlohmann::json& report)
{
  bool python = report["python_lane"]["python"].value("ok", false);
  bool engine = report["container_lane"].value("reachable", 0) > 0;
  return python || engine;
}

nlohmann::json warnings_of(const nlohmann::json& report)
{
  nlohmann::json warnings = nlohmann::json::array();
  for (const auto& dir : report["plugin_search_path"]) {
    if (!dir["exists"].get<bool>()) {
      warnings.push_back("manifest directory " + dir["path"].get<std::string>() +
                         " is missing: create it to add manifests there, or set MDIVICOM_PLUGIN_PATH");
    }
  }
  const auto& plugins = report["plugins"];
  if (plugins.contains("error")) {
    warnings.push_back("plugins could not be listed: " + plugins["error"].get<std::string>());
  } else if (plugins["found"] == 0) {
    warnings.push_back("no plugin found: add an entry manifest, install a Python plugin in the environment, or point "
                       "--python-env at the one that has it");
  }
  return warnings;
}

void print_fix(const nlohmann::json& entry)
{
  if (entry.contains("fix") && entry["fix"].is_string()) {
    std::cout << "         fix: " << entry["fix"].get<std::string>() << "\n";
  }
}

void print_report(const nlohmann::json& report)
{
  std::cout << "plugin search path:\n";
  for (const auto& dir : report["plugin_search_path"]) {
    std::cout << (dir["exists"].get<bool>() ? "  ok     " : "  warn   ") << dir["path"].get<std::string>()
              << (dir["exists"].get<bool>() ? "" : " (missing: create it to add manifests there)");
    if (dir.contains("manifests")) {
      std::cout << " (" << dir["manifests"] << " manifests)";
    }
    std::cout << "\n";
  }
  const auto& plugins = report["plugins"];
  std::cout << "plugins:\n";
  if (plugins.contains("error")) {
    std::cout << "  warn   cannot list them: " << plugins["error"].get<std::string>() << "\n";
  } else if (plugins["found"] == 0) {
    std::cout << "  warn   none found; looked in:\n";
    for (const auto& place : plugins["looked_in"]) {
      std::cout << "           " << place.get<std::string>() << "\n";
    }
    for (const auto& hint : plugins["try"]) {
      std::cout << "         try: " << hint.get<std::string>() << "\n";
    }
  } else {
    std::cout << "  ok     " << plugins["found"] << " found ('mdivicom plugins list' lists them)\n";
  }
  const auto& python = report["python_lane"]["python"];
  std::cout << "python lane:\n";
  if (python.value("ok", false)) {
    std::cout << "  ok     Python " << python.value("version", "?") << " (" << python.value("executable", "?") << ")\n";
  } else {
    std::cout << "  FAIL   " << python.value("error", "the embedded Python does not start") << "\n";
    print_fix(python);
  }
  const auto& landlock = report["python_lane"]["landlock"];
  if (landlock.value("available", false)) {
    std::cout << "  ok     Landlock ABI " << landlock["abi"] << " (Python plugins may only write their outputs)\n";
  } else {
    std::cout << "  --     Landlock unavailable: " << landlock.value("reason", "?") << "\n";
    std::cout << "         effect: " << landlock.value("effect", "") << "\n";
  }
  std::cout << "container lane:\n";
  for (const auto& engine : report["container_lane"]["engines"]) {
    if (engine.value("reachable", false)) {
      std::cout << "  ok     " << engine.value("name", "?") << " " << engine.value("version", "?") << " (API "
                << engine.value("api_version", "?") << (engine.value("rootless", false) ? ", rootless" : "") << ") at "
                << engine.value("socket", "?") << "\n";
    } else {
      std::cout << "  --     " << engine.value("error", "?") << "\n";
      print_fix(engine);
    }
  }
  const size_t warnings = report["warnings"].size();
  if (report["ok"].get<bool>()) {
    std::cout << "ok: a lane can run plugins here"
              << (warnings > 0 ? " (" + std::to_string(warnings) + " warning(s) above)" : std::string()) << "\n";
  } else {
    std::cout << "FAIL: no lane can run a plugin here; apply a fix above\n";
  }
}

} // namespace

void add_doctor_command(CLI::App& app)
{
  auto args = std::make_shared<DoctorArguments>();
  auto* doctor = app.add_subcommand(
      "doctor", "Check what this machine can run: plugin search path, the plugins found, the Python lane (with "
                "Landlock) and container engines, each with a fix. Exit 0 when at least one lane can run a plugin, "
                "1 otherwise; a missing manifest directory and finding no plugin at all are warnings");
  doctor->footer("Examples:\n  mdivicom doctor\n  mdivicom doctor --python-env ~/venvs/lab\n"
                 "  mdivicom doctor --engine unix:///run/podman/podman.sock --json");
  doctor->add_option("--engine", args->engine,
                     "Check this engine socket instead of DOCKER_HOST, CONTAINER_HOST and the usual sockets");
  doctor->add_option("--python-env", args->python_env, "Check this virtual environment for Python plugins");
  doctor->add_flag("--json", args->json, "Print the report as JSON");
  doctor->callback([args] {
    std::optional<fs::path> python_env;
    if (!args->python_env.empty()) {
      python_env = args->python_env;
    }
    nlohmann::json report = {
        {"plugin_search_path", search_path_facts()},
        {"python_lane", inproc::doctor_facts(python_env)},
        {"container_lane", container::doctor_facts(args->engine)},
        {"plugins", plugin_facts(args->python_env)},
    };
    report["ok"] = any_lane_works(report);
    report["warnings"] = warnings_of(report);
    if (args->json) {
      std::cout << json_text(report) << "\n";
    } else {
      print_report(report);
    }
    set_exit_code(report["ok"].get<bool>() ? 0 : 1);
  });
}

} // namespace mdivicom::cli
