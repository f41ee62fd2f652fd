#include "cli/run_arguments.hpp"

namespace mdivicom::cli {

void add_backend_option(CLI::App& command, RunArguments& args)
{
  command.add_option("--backend", args.run.backend, "auto (from the plugin's kind), python, docker or podman")
      ->check(CLI::IsMember({"auto", "python", "docker", "podman"}));
}

void add_python_env_option(CLI::App& command, RunArguments& args)
{
  command.add_option("--python-env", args.python_env,
                     "A virtual environment for Python plugins (default: $MDIVICOM_PYTHON_ENV, $VIRTUAL_ENV)");
}

void add_run_options(CLI::App& command, RunArguments& args)
{
  command.add_option("plugin_ref", args.run.plugin_ref, "<id> or <publisher>/<id>")->required();
  command
      .add_option("--dataset", args.run.dataset,
                  "The dataset directory (read-only to the plugin), or a .zip/.tar/.tar.gz/.tgz/.tar.zst archive of it "
                  "(extracted once into a read-only cache)")
      ->required();
  command
      .add_option("--dataset-hash", args.run.dataset_hash,
                  "Dataset identity in the record: full (content hashes, cached per user; default), fast (paths, "
                  "sizes, mtimes; no content read) or off")
      ->check(CLI::IsMember({"full", "fast", "off"}));
  command.add_option("--out", args.run.out, "The output root: receives <plugin id>/ and _runs/")->required();
  command.add_option("--work", args.run.work,
                     "A work directory the plugin may use (default: private scratch, removed after the run)");
  command.add_option("--config", args.run.config, "Plugin config: a JSON file or JSON text (default {})");
  add_backend_option(command, args);
  command.add_flag("--dry-run", args.run.dry_run,
                   "Pass dry_run=True to the plugin: it plans and reports without doing the work");
  // Checked by plan_run, with the other settings of a run.
  command.add_option_function<double>(
      "--timeout", [&args](double seconds) { args.run.timeout_s = seconds; },
      "Stop the plugin after this many seconds (status timeout)");
  command.add_flag("--overwrite", args.run.overwrite,
                   "Replace earlier outputs in <out>/<plugin id>/ of a run that differs, but only once the new run "
                   "succeeds (an up-to-date run is still skipped)");
  command.add_flag("--force", args.run.force,
                   "Run even when <out>/<plugin id>/ is up to date (same plugin, code, config, dataset and options "
                   "as its latest run, outputs intact), replacing its outputs once the new run succeeds");
  command.add_flag("--explain", args.run.explain,
                   "Say why the run runs or not: which part of its key changed since the latest run of "
                   "<out>/<plugin id>/ (plugin, code, config, dataset, options, outputs)");
  command.add_flag("--plan", args.plan_only,
                   "Print what would be run (for containers: the exact engine API requests) and exit");
  command.add_flag("--json", args.json,
                   "Print the run id, status, record path and outputs dir as one JSON object on stdout; the "
                   "plugin's output then goes to stderr");
  command.add_option("--bundle-policy", args.run.bundle_policy,
                     "How to validate a resultbundle.json the plugin wrote: plugin_strict, pipeline_auto (default), "
                     "local_default, legacy_off");
  command.add_option("--engine", args.engine, "Container engine socket, e.g. unix:///run/podman/podman.sock");
  command.add_option("--pull", args.pull, "Pull the image: missing (default), never or always")
      ->check(CLI::IsMember({"missing", "never", "always"}));
  add_python_env_option(command, args);
}

RunOptions run_options_of(const RunArguments& args)
{
  RunOptions options = args.run;
  options.lane_options["engine"] = args.engine;
  options.lane_options["pull"] = args.pull;
  if (!args.python_env.empty()) {
    options.lane_options["python_env"] = args.python_env;
  }
  return options;
}

} // namespace mdivicom::cli
