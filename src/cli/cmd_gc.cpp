// `mdivicom gc`: removes what runs that were killed left behind.
#include "cli/commands.hpp"

#include <iostream>

#include "core/error.hpp"
#include "lanes/container/container.hpp"

namespace mdivicom::cli {

namespace {

struct GcArguments
{
  container::GcOptions options;
  bool json = false;
};

} // namespace

void add_gc_command(CLI::App& app)
{
  auto args = std::make_shared<GcArguments>();
  auto* gc = app.add_subcommand(
    "gc", "Remove containers of mdivicom runs whose runner was killed (every run also does this on its engine "
          "first). Exit 1 when a container could not be removed");
  gc->add_option("--engine", args->options.engine, "Only this engine socket, e.g. unix:///var/run/docker.sock");
  gc->add_option("--backend", args->options.backend, "docker, podman or auto (every engine found)")
    ->check(CLI::IsMember({"auto", "docker", "podman"}));
  gc->add_flag("--dry-run", args->options.dry_run, "Only list what would be removed");
  gc->add_flag("--json", args->json, "Print the result as JSON");
  gc->callback([args] {
    nlohmann::json result = container::gc(args->options);
    if (result.contains("error")) {
      throw usage_error(result["error"].get<std::string>());
    }
    bool failed = false;
    const char* key = args->options.dry_run ? "found" : "removed";
    for (const auto& engine : result["engines"]) {
      failed = failed || !engine.value("errors", nlohmann::json::array()).empty();
      if (args->json) {
        continue;
      }
      for (const auto& item : engine.value(key, nlohmann::json::array())) {
        std::cout << (args->options.dry_run ? "would remove " : "removed ") << item.value("name", "") << " ("
                  << engine.value("name", "") << ", run " << item.value("run_id", "") << ", runner pid "
                  << item.value("runner_pid", 0) << " gone)\n";
      }
      for (const auto& error : engine.value("errors", nlohmann::json::array())) {
        std::cerr << "mdivicom: error: " << error.get<std::string>() << "\n";
      }
    }
    if (args->json) {
      std::cout << dump_json(result) << "\n";
    } else if (result["engines"].empty()) {
      std::cout << "no container engine found; nothing to do\n";
    }
    set_exit_code(failed ? 1 : 0);
  });
}

} // namespace mdivicom::cli
