// `mdivicom gc`: removes what killed runs left behind (containers, interrupted dataset
// extractions, scratch dirs in $TMPDIR) and extracted dataset archives nobody used for a while.
#include "cli/commands.hpp"

#include <iostream>

#include "core/dataset/cache_gc.hpp"
#include "core/util/error.hpp"
#include "core/util/format_bytes.hpp"
#include "core/util/cache_dir.hpp"
#include "core/run/scratch_dir.hpp"
#include "core/util/text_bytes.hpp"
#include "lanes/container/container.hpp"

namespace mdivicom::cli {

namespace {

struct GcArguments
{
  container::GcOptions options;
  unsigned older_than_days = 30;
  bool json = false;
};

void print_containers(const nlohmann::json& result, bool dry_run)
{
  const char* key = dry_run ? "found" : "removed";
  for (const auto& engine : result["engines"]) {
    for (const auto& item : engine.value(key, nlohmann::json::array())) {
      std::cout << (dry_run ? "would remove " : "removed ") << printable(item.value("name", "")) << " ("
                << printable(engine.value("name", "")) << ", run " << printable(item.value("run_id", ""))
                << ", runner pid " << item.value("runner_pid", 0) << " gone)\n";
    }
    for (const auto& error : engine.value("errors", nlohmann::json::array())) {
      std::cerr << "mdivicom: error: " << printable(error.get<std::string>()) << "\n";
    }
  }
  if (result["engines"].empty()) {
    std::cout << "no container engine reachable: containers skipped\n";
  }
}

void print_dataset_cache(const DatasetCacheGcReport& report)
{
  const bool dry_run = report.options.dry_run;
  for (const auto& item : report.removed) {
    std::cout << (dry_run ? "would remove " : "removed ") << printable((report.dir / item.name).string()) << " ("
              << printable(item.reason) << ", " << format_bytes(item.bytes) << ")\n";
  }
  for (const auto& item : report.kept) {
    // Recently used datasets are the normal case; everything else kept is worth a line.
    if (!(item.kind == "dataset" && item.reason.starts_with("last used"))) {
      std::cout << "kept " << printable((report.dir / item.name).string()) << " (" << printable(item.reason) << ")\n";
    }
  }
  for (const auto& error : report.errors) {
    std::cerr << "mdivicom: error: " << printable(error) << "\n";
  }
  auto entries = [](size_t count) { return std::to_string(count) + (count == 1 ? " entry" : " entries"); };
  uint64_t kept_bytes = 0;
  for (const auto& item : report.kept) {
    kept_bytes += item.bytes;
  }
  std::cout << "dataset cache " << printable(report.dir.string()) << ": ";
  if (report.removed.empty()) {
    std::cout << "nothing to remove";
  } else {
    std::cout << (dry_run ? "would free " : "freed ") << format_bytes(report.removed_bytes()) << " in "
              << entries(report.removed.size());
  }
  if (!report.kept.empty()) {
    std::cout << "; kept " << format_bytes(kept_bytes) << " in " << entries(report.kept.size());
  }
  std::cout << "\n";
}

void print_scratch(const ScratchGcReport& report)
{
  for (const auto& name : report.removed) {
    std::cout << (report.dry_run ? "would remove " : "removed ") << printable((report.dir / name).string())
              << " (scratch dir of a run whose runner was killed)\n";
  }
  for (const auto& name : report.kept_unlocked) {
    std::cout << "kept " << printable((report.dir / name).string())
              << " (no .runner.lock: made by an older mdivicom; remove it "
              << "by hand once no run uses it)\n";
  }
  for (const auto& error : report.errors) {
    std::cerr << "mdivicom: error: " << printable(error) << "\n";
  }
  std::cout << "scratch dirs in " << printable(report.dir.string()) << ": ";
  if (report.removed.empty()) {
    std::cout << "nothing to remove\n";
  } else if (report.dry_run) {
    std::cout << "would remove " << report.removed.size() << "\n";
  } else {
    std::cout << "freed " << format_bytes(report.removed_bytes) << " in " << report.removed.size() << "\n";
  }
}

} // namespace

void add_gc_command(CLI::App& app)
{
  auto args = std::make_shared<GcArguments>();
  auto* gc = app.add_subcommand(
      "gc", "Remove containers and scratch dirs (in $TMPDIR) of mdivicom runs whose runner was killed (every run "
            "also removes such containers on its engine first), dataset extractions that were interrupted, and "
            "extracted dataset archives unused for "
            "--older-than days. Never touches what a running mdivicom uses. Exit 1 when something could not be "
            "removed");
  gc->footer("Examples:\n  mdivicom gc --dry-run\n  mdivicom gc --older-than 7\n"
             "  mdivicom gc --backend podman --json");
  gc->add_option("--engine", args->options.engine, "Only this engine socket, e.g. unix:///var/run/docker.sock");
  gc->add_option("--backend", args->options.backend, "docker, podman or auto (every engine found)")
      ->check(CLI::IsMember({"auto", "docker", "podman"}));
  gc->add_option("--older-than", args->older_than_days,
                 "Remove extracted dataset archives not used for this many days (0: every one not in use)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 36500u));
  gc->add_flag("--dry-run", args->options.dry_run, "Only list what would be removed");
  gc->add_flag("--json", args->json, "Print the result as JSON");
  gc->callback([args] {
    // Containers first: a bad --engine is a usage error before anything is removed.
    nlohmann::json result = container::gc(args->options);
    if (result.contains("error")) {
      throw usage_error(result["error"].get<std::string>());
    }
    bool failed = false;
    for (const auto& engine : result["engines"]) {
      failed = failed || !engine.value("errors", nlohmann::json::array()).empty();
    }
    DatasetCacheGcOptions cache_options;
    cache_options.older_than_days = args->older_than_days;
    cache_options.dry_run = args->options.dry_run;
    DatasetCacheGcReport cache = gc_dataset_cache(mdivicom_cache_dir(), cache_options);
    failed = failed || !cache.errors.empty();
    ScratchGcReport scratch = gc_scratch_dirs(scratch_parent(), args->options.dry_run);
    failed = failed || !scratch.errors.empty();
    if (args->json) {
      result["containers_skipped"] = result["engines"].empty();
      result["dataset_cache"] = cache.to_json();
      result["scratch_dirs"] = scratch.to_json();
      std::cout << json_text(result) << "\n";
    } else {
      print_containers(result, args->options.dry_run);
      print_dataset_cache(cache);
      print_scratch(scratch);
    }
    set_exit_code(failed ? 1 : 0);
  });
}

} // namespace mdivicom::cli
