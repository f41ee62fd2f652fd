#include "lanes/inproc/discovery/plugin_loader.hpp"

#include "lanes/inproc/child_process.hpp"
#include "lanes/inproc/worker.hpp"

#include "core/hash/fnv1a.hpp"

#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>

namespace mdivicom::inproc {

namespace fs = std::filesystem;

namespace {

constexpr double k_default_get_plugin_timeout_s = 10;

// Results depend on the interpreter and on what else is importable, not only on the entry point.
std::string env_fingerprint(const PythonEnv& env)
{
  std::string text = env.executable.string() + "\n" + python_version_tag();
  for (const auto& dir : env.search_path()) {
    text.append("\n").append(dir.string()); // append, not "\n" + s: GCC 12 -Wrestrict false positive
  }
  return fnv1a_hex(text);
}

std::string cache_key(const std::string& env_hash, const Registration& registration)
{
  std::string key = env_hash + "|" + registration.stamped_files.front().string() + "|" + registration.entry_point.name +
                    "=" + registration.entry_point.value;
  for (const auto& dir : registration.extra_sys_path) {
    key.append("|").append(dir.string());
  }
  return key;
}

std::vector<fs::path> json_paths(const nlohmann::json& value)
{
  std::vector<fs::path> paths;
  if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_string()) {
        paths.emplace_back(item.get<std::string>());
      }
    }
  }
  return paths;
}

nlohmann::json stamps_for(const Registration& registration, const std::vector<fs::path>& module_files, bool failed)
{
  std::vector<fs::path> files = registration.stamped_files;
  files.insert(files.end(), module_files.begin(), module_files.end());
  if (failed) {
    files.insert(files.end(), registration.watched_dirs.begin(), registration.watched_dirs.end());
  }
  return stamp_files(files);
}

std::string describe_worker_end(const WorkerRun& run, double timeout_s)
{
  if (run.timed_out) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%g", timeout_s);
    return std::string("get_plugin() did not return within ") + seconds +
           " s (raise MDIVICOM_GET_PLUGIN_TIMEOUT if it is just slow)";
  }
  if (!run.sandbox_refused.empty()) {
    return "get_plugin() was not called: its sandbox could not be set up: " + run.sandbox_refused;
  }
  if (run.exit.signal) {
    return "get_plugin() crashed the interpreter: killed by signal " + describe_signal(*run.exit.signal);
  }
  return "get_plugin() ended the interpreter with exit code " + std::to_string(run.exit.exit_code.value_or(-1));
}

// Calls get_plugin() for registrations[indices...] that share one sys.path, restarting the
// worker after the entry that crashed or hung it.
void call_get_plugins(const PythonEnv& env, const std::vector<Registration>& registrations,
                      const std::vector<size_t>& indices, const std::vector<std::string>& keys,
                      std::vector<std::optional<nlohmann::json>>& values, PluginCache& cache)
{
  double timeout_s = get_plugin_timeout_s();
  size_t next = 0;
  while (next < indices.size()) {
    nlohmann::json params = {{"group", std::string(k_entry_point_group)},
                             {"sys_path_prepend", nlohmann::json::array()},
                             {"entry_points", nlohmann::json::array()}};
    for (const auto& dir : registrations[indices[next]].extra_sys_path) {
      params["sys_path_prepend"].push_back(dir.string());
    }
    for (size_t k = next; k < indices.size(); ++k) {
      const auto& decl = registrations[indices[k]].entry_point;
      params["entry_points"].push_back({{"name", decl.name}, {"value", decl.value}});
    }
    std::optional<size_t> current;
    std::vector<fs::path> current_files;
    WorkerRun run;
    try {
      run = run_reporting_worker(env, "load_plugins", params, timeout_s, [&](const nlohmann::json& event) {
        std::string kind = event.value("event", "");
        size_t position = next + event.value("index", size_t{0});
        if (position >= indices.size()) {
          return false;
        }
        if (kind == "begin") {
          current = position;
          current_files.clear();
          return true;
        }
        if (kind == "imported") {
          current_files = json_paths(event.value("files", nlohmann::json()));
        } else if (kind == "result") {
          size_t i = indices[position];
          bool failed = !event.contains("plugin");
          nlohmann::json value = failed ? nlohmann::json{{"error", event.value("error", "get_plugin() failed")}}
                                        : nlohmann::json{{"plugin", event["plugin"]}};
          cache.store(keys[i], stamps_for(registrations[i], json_paths(event.value("files", nlohmann::json())), failed),
                      value);
          values[i] = std::move(value);
          current.reset();
        }
        return false;
      });
    } catch (const Error& error) {
      // No worker at all (mdivicom-python-worker missing, no processes left): listed as errors
      // with the reason and its fix, not cached.
      for (size_t k = next; k < indices.size(); ++k) {
        values[indices[k]] = nlohmann::json{{"error", error.what()}};
      }
      break;
    }
    size_t done = next;
    while (done < indices.size() && values[indices[done]]) {
      ++done;
    }
    if (done == indices.size()) {
      break;
    }
    if (!current && done > next) {
      next = done; // it ended between two entry points: retry the rest
      continue;
    }
    if (!current) {
      // The interpreter never got to a get_plugin(): it could not start. Say so for them all.
      std::string message = "the embedded Python (" + env.executable.string() +
                            ") could not start; its messages are above (" + describe_worker_end(run, timeout_s) + ")";
      for (size_t k = done; k < indices.size(); ++k) {
        values[indices[k]] = nlohmann::json{{"error", message}};
      }
      break;
    }
    size_t i = indices[*current];
    nlohmann::json value = {{"error", describe_worker_end(run, timeout_s)}};
    cache.store(keys[i], stamps_for(registrations[i], current_files, true), value);
    values[i] = std::move(value);
    next = *current + 1;
  }
}

Plugin to_plugin(const Registration& registration, const nlohmann::json& value)
{
  PluginOrigin origin;
  origin.entry_point = entry_point_ref(registration.entry_point.value);
  origin.fallback_id = registration.entry_point.name;
  Plugin plugin;
  if (value.contains("plugin")) {
    plugin = normalize_plugin(value["plugin"], origin);
    if (!plugin.is_error() && !plugin.object.contains("kind")) {
      plugin.object["kind"] = "python"; // registered through Python, so Python unless it says otherwise
    }
    if (!plugin.is_error() && !is_valid_slug(plugin.id())) {
      plugin = error_plugin(origin, registration.entry_point.name,
                            "get_plugin() gave the id '" + plugin.id() +
                                "'; an id must match [a-z0-9][a-z0-9._-]* (at most 128 characters)");
    } else if (!plugin.is_error() && !plugin.publisher().empty() && !is_valid_slug(plugin.publisher())) {
      plugin = error_plugin(origin, registration.entry_point.name,
                            "get_plugin() gave the publisher '" + plugin.publisher() +
                                "'; a publisher must match [a-z0-9][a-z0-9._-]*");
    }
  } else {
    plugin = error_plugin(origin, registration.entry_point.name, value.value("error", "get_plugin() failed"));
  }
  for (const auto& [key, field] : registration.origin_fields.items()) {
    if (!plugin.object.contains(key)) {
      plugin.object[key] = field;
    }
  }
  return plugin;
}

} // namespace

double get_plugin_timeout_s()
{
  const char* text = std::getenv("MDIVICOM_GET_PLUGIN_TIMEOUT");
  if (text == nullptr) {
    return k_default_get_plugin_timeout_s;
  }
  char* end = nullptr;
  double value = std::strtod(text, &end);
  return end != text && value > 0 ? value : k_default_get_plugin_timeout_s;
}

std::vector<Plugin> load_registrations(const PythonEnv& env, const std::vector<Registration>& registrations,
                                       PluginCache& cache)
{
  std::string env_hash = env_fingerprint(env);
  std::vector<std::string> keys;
  std::vector<std::optional<nlohmann::json>> values(registrations.size());
  std::map<std::vector<fs::path>, std::vector<size_t>> misses;
  for (size_t i = 0; i < registrations.size(); ++i) {
    keys.push_back(cache_key(env_hash, registrations[i]));
    values[i] = cache.lookup(keys[i]);
    if (!values[i]) {
      misses[registrations[i].extra_sys_path].push_back(i);
    }
  }
  for (const auto& [extra_sys_path, indices] : misses) {
    call_get_plugins(env, registrations, indices, keys, values, cache);
  }
  cache.save();
  std::vector<Plugin> plugins;
  for (size_t i = 0; i < registrations.size(); ++i) {
    plugins.push_back(to_plugin(registrations[i], values[i].value_or(nlohmann::json::object())));
  }
  return plugins;
}

} // namespace mdivicom::inproc
