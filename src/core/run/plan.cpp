#include "core/run/plan.hpp"

#include "core/config/schema.hpp"
#include "core/dataset/archive.hpp"
#include "core/util/fs.hpp"
#include "core/util/host_facts.hpp"
#include "core/run/scratch_dir.hpp"
#include "core/run/write_roots.hpp"

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

std::string check_backend(const Plugin& plugin, const std::string& backend)
{
  const std::string kind = plugin.kind();
  if (backend == "auto") {
    // A container plugin's engine is chosen by its lane (the first engine that answers).
    return kind == "python" ? "python" : backend;
  }
  if (backend == "python" && kind != "python") {
    throw usage_error("plugin " + plugin.ref() + " is a " + kind +
                      " plugin; --backend python runs Python plugins only (use auto, docker or podman)");
  }
  if ((backend == "docker" || backend == "podman") && kind != "container") {
    throw usage_error("plugin " + plugin.ref() + " is a " + kind + " plugin; --backend " + backend +
                      " runs container plugins only (use auto or python)");
  }
  if (backend != "python" && backend != "docker" && backend != "podman") {
    throw usage_error("unknown backend '" + backend + "'; use auto, python, docker or podman");
  }
  return backend;
}

// Names mdivicom itself writes in --out: a plugin with one of these ids would take their place
// (its outputs would replace the crate, and every later run would silently have none). Ids
// starting with '_' or '.' (_runs, _batches, lock files) are not slugs in the first place.
// The manifest schema refuses the same names (schemas/plugin-manifest.schema.json, plugin_id).
bool is_reserved_plugin_id(const std::string& id)
{
  return id == "ro-crate-metadata.json" || id == "ro-crate-preview.html" || id == "_runs" || id == "_batches" ||
         id.starts_with('_') || id.starts_with('.');
}

fs::path existing_dataset_dir(const std::string& dataset)
{
  if (dataset.empty()) {
    throw usage_error("--dataset is required: the directory of the recorded session to process");
  }
  std::error_code error;
  fs::path path = resolved_path(dataset);
  if (!fs::exists(path, error)) {
    throw usage_error("dataset " + dataset + " does not exist; give --dataset an existing directory");
  }
  if (is_dataset_archive(path)) {
    return prepare_dataset(path); // extracted once into the read-only, content-addressed cache
  }
  if (!fs::is_directory(path, error)) {
    throw usage_error("dataset " + dataset + " is not a directory; give --dataset the dataset's root directory");
  }
  // The kernel's own file systems hold files without end (hashing /proc/self never finishes).
  for (const char* system : {"/proc", "/sys", "/dev"}) {
    if (is_same_or_within(path, system) && !is_same_or_within(path, "/dev/shm")) {
      throw usage_error("dataset " + dataset + " lies in " + system +
                        ", the kernel's, not a recorded session; give --dataset the dataset's root directory");
    }
  }
  return path;
}

} // namespace

RunPlan plan_run(PluginCatalog& catalog, const RunOptions& options,
                 const std::function<void(const Plugin&)>& on_resolved)
{
  RunPlan plan;
  RunRequest& request = plan.request;
  request.plugin = catalog.resolve(options.plugin_ref);
  if (on_resolved) {
    on_resolved(request.plugin);
  }
  if (!is_valid_slug(request.plugin.id())) {
    throw usage_error("plugin " + request.plugin.origin() + " has the id '" + request.plugin.id() +
                      "', which is not a slug (lowercase letters, digits, '.', '_', '-'); it cannot name an "
                      "output directory, so the plugin's author must fix it");
  }
  if (is_reserved_plugin_id(request.plugin.id())) {
    throw usage_error("plugin " + request.plugin.origin() + " has the id '" + request.plugin.id() +
                      "', a name mdivicom writes in --out itself; it cannot name an output directory, so the "
                      "plugin's author must choose another id");
  }
  request.backend = check_backend(request.plugin, options.backend);
  plan.config = load_config(options.config);
  auto schema = request.plugin.object.find("config_schema");
  if (schema != request.plugin.object.end() && !schema->is_null()) {
    check_config_against_schema(plan.config, *schema, request.plugin.ref());
  }

  request.dataset_dir = existing_dataset_dir(options.dataset);
  if (options.out.empty()) {
    throw usage_error("--out is required: the directory that receives <plugin id>/ and _runs/");
  }
  request.out_root = resolved_path(options.out);
  std::error_code error;
  if (fs::exists(request.out_root, error) && !fs::is_directory(request.out_root, error)) {
    throw usage_error("--out " + options.out + " exists and is not a directory");
  }
  if (is_same_or_within(request.out_root, request.dataset_dir)) {
    throw usage_error("--out " + options.out + " lies inside the dataset " + request.dataset_dir.string() +
                      "; datasets stay read-only, so choose an output directory outside it");
  }
  if (is_same_or_within(request.dataset_dir, request.out_root)) {
    throw usage_error("--out " + options.out + " contains the dataset " + request.dataset_dir.string() +
                      "; choose an output directory that does not hold the dataset");
  }
  request.plugin_out_dir = request.out_root / request.plugin.id();
  if (!options.work.empty()) {
    plan.work_dir_given = true;
    request.work_dir = resolved_path(options.work);
    if (fs::exists(request.work_dir, error) && !fs::is_directory(request.work_dir, error)) {
      throw usage_error("--work " + options.work + " exists and is not a directory");
    }
    // The plugin may write anywhere in its work dir: it must not reach the dataset, the run
    // records or another plugin's outputs through it.
    if (is_same_or_within(request.work_dir, request.dataset_dir)) {
      throw usage_error("--work " + options.work + " lies inside the dataset; choose a directory outside it");
    }
    if (is_same_or_within(request.dataset_dir, request.work_dir)) {
      throw usage_error("--work " + options.work + " contains the dataset " + request.dataset_dir.string() +
                        ", which would become writable; choose a directory beside it");
    }
    if (is_same_or_within(request.out_root, request.work_dir)) {
      throw usage_error("--work " + options.work + " contains --out " + request.out_root.string() +
                        " (its run records and other plugins' outputs); choose a directory outside it");
    }
    if (is_same_or_within(request.work_dir, request.plugin_out_dir)) {
      throw usage_error("--work " + options.work + " lies inside the plugin's output directory " +
                        request.plugin_out_dir.string() + "; choose a directory outside it");
    }
    if (is_same_or_within(request.work_dir, request.out_root / "_runs")) {
      throw usage_error("--work " + options.work + " lies inside " + (request.out_root / "_runs").string() +
                        ", where the run records are; choose a directory outside it");
    }
    if (is_same_or_within(request.work_dir, request.out_root)) {
      throw usage_error("--work " + options.work + " lies inside --out " + request.out_root.string() +
                        ", where every directory is another plugin's recorded outputs or mdivicom's own; choose a "
                        "directory outside it");
    }
  }
  // Also refuses NaN and infinity; longer timeouts would overflow the lanes' clocks.
  constexpr double k_longest_timeout_s = 100.0 * 365 * 24 * 3600;
  if (options.timeout_s && !(*options.timeout_s > 0 && *options.timeout_s <= k_longest_timeout_s)) {
    throw usage_error("--timeout must be a positive number of seconds, at most 3153600000 (100 years); "
                      "leave it out for no limit");
  }

  check_write_roots(request, plan.work_dir_given, scratch_parent()); // again in run_plugin once they exist

  request.run_id = new_run_id();
  request.log_path = request.out_root / "_runs" / (request.run_id + ".log");
  request.config_text = plan.config.canonical;
  request.config_source = plan.config.text;
  request.config = plan.config.value;
  request.dry_run = options.dry_run;
  request.timeout_s = options.timeout_s;
  request.options = options.lane_options;
  return plan;
}

} // namespace mdivicom
