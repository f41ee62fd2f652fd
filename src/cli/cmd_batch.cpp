#include "cli/commands.hpp"

#include "cli/batch_view.hpp"
#include "core/batch/batch.hpp"
#include "core/util/install_layout.hpp"
#include "core/util/text_bytes.hpp"

#include <iostream>

#include <unistd.h>

namespace mdivicom::cli {

namespace {

struct BatchArguments
{
  BatchRequest request;
  std::vector<std::string> datasets;
  std::string datasets_from;
  std::string out;
  std::string backend;
  std::string dataset_hash;
  std::string bundle_policy;
  std::string engine;
  std::string pull;
  std::string python_env;
  double timeout_s = 0;
  bool overwrite = false;
  bool force = false;
  bool explain = false;
  bool dry_run = false;
  bool as_json = false;
};

// The options every item's `mdivicom run` gets, as the batch was given them.
std::vector<std::string> shared_run_options(const BatchArguments& args, bool timeout_given)
{
  std::vector<std::string> options;
  auto add = [&options](const char* name, const std::string& value) {
    if (!value.empty()) {
      options.insert(options.end(), {name, value});
    }
  };
  add("--backend", args.backend);
  add("--dataset-hash", args.dataset_hash);
  add("--bundle-policy", args.bundle_policy);
  add("--engine", args.engine);
  add("--pull", args.pull);
  add("--python-env", args.python_env);
  if (timeout_given) {
    add("--timeout", std::to_string(args.timeout_s));
  }
  if (args.overwrite) {
    options.emplace_back("--overwrite");
  }
  if (args.force) {
    options.emplace_back("--force");
  }
  if (args.dry_run) {
    options.emplace_back("--dry-run");
  }
  options.emplace_back("--quiet"); // the plugin's output is in each run's log
  return options;
}

void run_batch_command(BatchArguments& args, bool timeout_given, const nlohmann::json& command)
{
  BatchRequest& request = args.request;
  request.out = args.out;
  for (const std::string& dataset : args.datasets) {
    request.datasets.push_back({dataset, "--dataset", std::nullopt});
  }
  if (!args.datasets_from.empty()) {
    for (DatasetSource& source : read_dataset_list(args.datasets_from)) {
      request.datasets.push_back(std::move(source));
    }
  }
  request.command = command;
  if (timeout_given) {
    request.timeout_s = args.timeout_s;
  }
  const std::vector<std::string> shared = shared_run_options(args, timeout_given);
  const std::string self = (executable_dir() / "mdivicom").string();
  request.item_argv = [&](const BatchItemState& item, const std::string& config) {
    std::vector<std::string> run{
        self, "run", item.plugin, "--dataset", item.dataset, "--out", (request.out / item.item).string()};
    if (!config.empty()) {
      run.insert(run.end(), {"--config", config});
    }
    run.insert(run.end(), shared.begin(), shared.end());
    return run;
  };
  RunOptions& options = request.item_options;
  options.dry_run = args.dry_run;
  options.overwrite = args.overwrite;
  options.force = args.force;
  options.backend = args.backend.empty() ? "auto" : args.backend;
  options.dataset_hash = args.dataset_hash.empty() ? "full" : args.dataset_hash;
  options.lane_options = {{"engine", args.engine}, {"pull", args.pull}};
  if (!args.python_env.empty()) {
    options.lane_options["python_env"] = args.python_env;
  }
  request.lanes = [](const std::string& kind) { return make_lane(kind); };
  PluginCatalog catalog = make_catalog(args.python_env);
  std::unique_ptr<BatchObserver> view = make_batch_view(
      args.as_json ? BatchViewKind::quiet : (::isatty(STDERR_FILENO) ? BatchViewKind::terminal : BatchViewKind::lines),
      args.explain);
  BatchOutcome outcome = run_batch(catalog, request, *view);
  if (outcome.detached) {
    const nlohmann::json& executor = outcome.record["executor"];
    if (args.as_json) {
      std::cout << json_text(outcome.record) << "\n";
    } else {
      std::cout << "batch " << outcome.record.value("batch_id", "") << " submitted to Slurm as job "
                << printable(executor.value("job_id", "")) << "; follow it with: mdivicom batch status "
                << printable(args.out) << "\n";
    }
    set_exit_code(static_cast<int>(outcome.code));
    return;
  }
  if (args.as_json) {
    std::cout << json_text(outcome.record) << "\n";
  } else {
    std::cout << batch_table(outcome.record);
  }
  set_exit_code(static_cast<int>(outcome.code));
}

} // namespace

void add_batch_command(CLI::App& app)
{
  auto args = std::make_shared<BatchArguments>();
  auto* batch = app.add_subcommand(
      "batch", "Run plugins over many datasets: each dataset x plugin is one run into <out>/<item>/, recorded in "
               "<out>/_batches/");
  batch->footer("Examples:\n  mdivicom batch stream-inventory --out /tmp/study --dataset 'sessions/*'\n"
                "  mdivicom batch a b --out /tmp/study --datasets-from sessions.tsv -j 4 --fail-fast\n"
                "  mdivicom batch stream-inventory --out /tmp/study --dataset 'sessions/*' --executor slurm "
                "--slurm-opt partition=short --detach\n"
                "  mdivicom batch status /tmp/study");
  batch->add_option("plugin_refs", args->request.plugin_refs, "<id> or <publisher>/<id>, one or more");
  batch->add_option("--out", args->out, "The batch's output root: <out>/<item>/ per dataset, <out>/_batches/");
  batch->add_option("--dataset", args->datasets,
                    "A dataset directory or archive; repeatable; globs are expanded by mdivicom ('sessions/*')");
  batch->add_option("--datasets-from", args->datasets_from,
                    "A file listing datasets, one per line ('-': standard input; blank lines and # comments "
                    "ignored), or a TSV with a header naming 'dataset' and 'config' columns, or a JSON array of "
                    "{\"dataset\": ..., \"config\": {...}}");
  batch->add_option("--datasets-root", args->request.datasets_root,
                    "Name each item by its dataset's path below this directory instead of its directory name");
  batch->add_flag("--keep-going", args->request.keep_going,
                  "Run the datasets that exist when some are missing (recorded; the batch then exits 1)");
  batch->add_option("-j,--jobs", args->request.jobs, "Items run at once (default: the CPUs mdivicom may use)");
  batch->add_flag("--fail-fast", args->request.fail_fast, "Start no further item once one has failed");
  batch->add_option("--config", args->request.config,
                    "Plugin config for every item without one of its own: a JSON file or JSON text");
  batch->add_option("--backend", args->backend, "auto, python, docker or podman")
      ->check(CLI::IsMember({"auto", "python", "docker", "podman"}));
  batch->add_option("--dataset-hash", args->dataset_hash, "full (default), fast or off, as for run")
      ->check(CLI::IsMember({"full", "fast", "off"}));
  CLI::Option* timeout =
      batch->add_option("--timeout", args->timeout_s, "Stop each item's plugin after this many seconds");
  batch->add_flag("--overwrite", args->overwrite,
                  "Run the items whose outputs differ from what they would be now (plugin, code, config, dataset, "
                  "options), replacing them once the new run succeeds; up-to-date items are still skipped");
  batch->add_flag("--force", args->force, "Run every item, also those that are up to date");
  batch->add_flag("--explain", args->explain, "Say for every item why it runs or not, before any runs");
  batch->add_flag("--dry-run", args->dry_run, "Pass dry_run=True to every item's plugin");
  batch->add_option("--bundle-policy", args->bundle_policy, "As for run");
  batch->add_option("--engine", args->engine, "Container engine socket, as for run");
  batch->add_option("--pull", args->pull, "missing (default), never or always, as for run")
      ->check(CLI::IsMember({"missing", "never", "always"}));
  batch->add_option("--python-env", args->python_env, "A virtual environment for Python plugins, as for run");
  batch
      ->add_option("--executor", args->request.executor,
                   "local (default): items run here, -j at a time; slurm: one job array (sbatch), -j tasks at a time")
      ->check(CLI::IsMember({"local", "slurm"}));
  batch->add_flag("--detach", args->request.detach,
                  "With --executor slurm: return once sbatch accepted the array, printing the batch and job ids; "
                  "'mdivicom batch status <out>' follows it up");
  batch->add_option("--slurm-opt", args->request.slurm_options,
                    "KEY=VALUE given to sbatch as --KEY=VALUE (partition, account, qos, time, mem, ...); repeatable; "
                    "overrides the cpus, memory and time limit taken from the plugins and --timeout");
  batch->add_flag("--json", args->as_json, "Print the batch record as JSON instead of the table");

  auto status_args = std::make_shared<BatchStatusArguments>();
  auto* status = batch->add_subcommand("status", "Show the latest batch of an --out directory (or --batch ID)");
  status->footer("Examples:\n  mdivicom batch status /tmp/study\n  mdivicom batch status /tmp/study --batch ID --json");
  status->add_option("out", status_args->out, "The batch's --out directory")->required();
  status->add_option("--batch", status_args->batch_id, "A batch id (default: the latest)");
  status->add_flag("--json", status_args->as_json, "Print the batch record as JSON");
  status->callback([status_args] { show_batch_status(*status_args); });

  batch->callback([args, timeout, batch] {
    if (batch->got_subcommand("status")) {
      return;
    }
    if (args->request.plugin_refs.empty() || args->out.empty()) {
      throw usage_error("batch needs at least one plugin ref and --out (see 'mdivicom batch --help')");
    }
    // The command as given, but for --config: inline JSON may hold secrets (its hash is recorded).
    nlohmann::json command = nlohmann::json::object();
    for (const CLI::Option* option : batch->get_options()) {
      if (option->count() > 0 && option->get_name() != "--config" && option->get_name() != "--help") {
        command[option->get_name()] = option->results();
      }
    }
    run_batch_command(*args, timeout->count() > 0, command);
  });
}

} // namespace mdivicom::cli
