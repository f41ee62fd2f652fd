#include "cli/commands.hpp"

#include "core/run/run.hpp"

#include <iostream>

namespace mdivicom::cli {

namespace {

struct RunArguments
{
  RunOptions run;
  bool plan_only = false; // --plan: print what would run and be sent; run nothing
  double timeout_s = 0;
  std::string engine;
  std::string pull = "missing";
  std::string python_env;
};

} // namespace

void add_run_command(CLI::App& app)
{
  auto args = std::make_shared<RunArguments>();
  auto* run = app.add_subcommand(
      "run", "Run a plugin on a dataset; outputs go to <out>/<plugin id>/, the record to <out>/_runs/");
  run->add_option("plugin_ref", args->run.plugin_ref, "<id> or <publisher>/<id>")->required();
  run->add_option("--dataset", args->run.dataset,
                  "The dataset directory (read-only to the plugin), or a .zip/.tar/.tar.gz/.tgz/.tar.zst archive of it "
                  "(extracted once into a read-only cache)")
      ->required();
  run->add_option("--dataset-hash", args->run.dataset_hash,
                  "Dataset identity in the record: full (content hashes, cached per user; default), fast (paths, "
                  "sizes, mtimes; no content read) or off")
      ->check(CLI::IsMember({"full", "fast", "off"}));
  run->add_option("--out", args->run.out, "The output root: receives <plugin id>/ and _runs/")->required();
  run->add_option("--work", args->run.work,
                  "A work directory the plugin may use (default: private scratch, removed after the run)");
  run->add_option("--config", args->run.config, "Plugin config: a JSON file or JSON text (default {})");
  run->add_option("--backend", args->run.backend, "auto (from the plugin's kind), python, docker or podman")
      ->check(CLI::IsMember({"auto", "python", "docker", "podman"}));
  run->add_flag("--dry-run", args->run.dry_run,
                "Pass dry_run=True to the plugin: it plans and reports without doing the work");
  // Checked by plan_run, with the other settings of a run.
  CLI::Option* timeout =
      run->add_option("--timeout", args->timeout_s, "Stop the plugin after this many seconds (status timeout)");
  run->add_flag("--overwrite", args->run.overwrite,
                "Replace earlier outputs in <out>/<plugin id>/, but only once the new run succeeds");
  run->add_flag("--plan", args->plan_only,
                "Print what would be run (for containers: the exact engine API requests) and exit");
  run->add_flag(
      "--quiet,-q", [args](int64_t) { args->run.echo_output = false; },
      "Do not show plugin output on the terminal (it is still in the run log)");
  run->add_option("--bundle-policy", args->run.bundle_policy,
                  "How to validate a resultbundle.json the plugin wrote: plugin_strict, pipeline_auto (default), "
                  "local_default, legacy_off");
  run->add_option("--engine", args->engine, "Container engine socket, e.g. unix:///run/podman/podman.sock");
  run->add_option("--pull", args->pull, "Pull the image: missing (default), never or always")
      ->check(CLI::IsMember({"missing", "never", "always"}));
  run->add_option("--python-env", args->python_env,
                  "A virtual environment for Python plugins (default: $MDIVICOM_PYTHON_ENV, $VIRTUAL_ENV)");
  run->callback([args, timeout] {
    RunOptions options = args->run;
    if (timeout->count() > 0) {
      options.timeout_s = args->timeout_s;
    }
    options.lane_options["engine"] = args->engine;
    options.lane_options["pull"] = args->pull;
    if (!args->python_env.empty()) {
      options.lane_options["python_env"] = args->python_env;
    }
    RunLanes lanes(options.backend, options.lane_options); // first: it may start a Python worker
    PluginCatalog catalog = make_catalog(args->python_env);
    const LaneFactory lane_for = [&lanes](const std::string& kind) { return lanes.make(kind); };
    if (args->plan_only) {
      std::cout << json_file_text(describe_run(catalog, options, lane_for));
      return;
    }
    set_exit_code(static_cast<int>(run_plugin(catalog, options, lane_for)));
  });
}

} // namespace mdivicom::cli
