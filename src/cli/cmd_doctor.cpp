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

// The basics: plugins can be found, and at least one lane can run them.
bool basics_work(const nlohmann::json& report)
{
  bool any_dir = false;
  for (const auto& dir : report["plugin_search_path"]) {
    any_dir = any_dir || dir.value("exists", false);
  }
  bool python = report["python_lane"]["python"].value("ok", false);
  bool engine = report["container_lane"].value("reachable", 0) > 0;
  return any_dir && (python || engine);
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
    std::cout << (dir["exists"].get<bool>() ? "  ok     " : "  --     ") << dir["path"].get<std::string>()
              << (dir["exists"].get<bool>() ? "" : " (missing: create it to add manifests there)");
    if (dir.contains("manifests")) {
      std::cout << " (" << dir["manifests"] << " manifests)";
    }
    std::cout << "\n";
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
  std::cout << (report["ok"].get<bool>() ? "ok: plugins can be found and run\n"
                                         : "FAIL: no plugin can run here; apply a fix above\n");
}

} // namespace

void add_doctor_command(CLI::App& app)
{
  auto args = std::make_shared<DoctorArguments>();
  auto* doctor = app.add_subcommand(
      "doctor", "Check what this machine can run: plugin search path, the Python lane (with Landlock) and container "
                "engines, each with a fix. Exit 0 when plugins can be found and at least one lane works, 1 otherwise");
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
    };
    report["ok"] = basics_work(report);
    if (args->json) {
      std::cout << json_text(report) << "\n";
    } else {
      print_report(report);
    }
    set_exit_code(report["ok"].get<bool>() ? 0 : 1);
  });
}

} // namespace mdivicom::cli
