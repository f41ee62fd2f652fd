#include "lanes/inproc/inproc.hpp"

#include "lanes/inproc/discovery/entry_points.hpp"
#include "lanes/inproc/discovery/plugin_cache.hpp"
#include "lanes/inproc/discovery/plugin_loader.hpp"
#include "lanes/inproc/discovery/pyproject.hpp"
#include "lanes/inproc/discovery/python_env.hpp"

#include "core/util/file_identity.hpp"

#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>

namespace mdivicom::inproc {

namespace fs = std::filesystem;

namespace {

fs::path cache_file()
{
  const char* setting = std::getenv("MDIVICOM_PLUGIN_CACHE");
  if (setting != nullptr && (std::strcmp(setting, "off") == 0 || std::strcmp(setting, "0") == 0)) {
    return {};
  }
  return PluginCache::default_path();
}

// "the venv /x (from VIRTUAL_ENV)" or "the system Python /usr/bin/python3": which
// environment's packages were searched, as a not-found message names it.
std::string describe_env(const PythonEnv& env)
{
  if (env.venv) {
    return "the venv " + env.venv->string() + " (from " + env.origin + ")";
  }
  return "the system Python " + env.executable.string();
}

std::string count_of(size_t count, const char* one, const char* many)
{
  return std::to_string(count) + " " + (count == 1 ? one : many);
}

// A source whose plugins are found all at once: the registrations that miss the cache share
// one interpreter's get_plugin() calls.
class PythonSource : public PluginSource
{
public:
  void visit(const PluginVisitor& found) final
  {
    for (auto& plugin : discover_all(wall_clock_ns())) {
      found(std::move(plugin));
    }
  }

private:
  // started_ns: taken before any registration is read, the clock of the cache's racy rule
  // (plugin_cache.hpp).
  virtual std::vector<Plugin> discover_all(int64_t started_ns) = 0;
};

// Entry points declared in the pyproject.toml of MDIVICOM_DEV_PLUGIN_ROOTS trees.
class DevRootSource : public PythonSource
{
public:
  DevRootSource(PythonEnv env, std::vector<fs::path> roots) : m_env(std::move(env)), m_roots(std::move(roots)) {}

private:
  std::vector<Plugin> discover_all(int64_t started_ns) override
  {
    std::vector<Plugin> plugins;
    std::vector<Registration> registrations;
    m_places.clear();
    for (const auto& root : m_roots) {
      m_places.push_back("dev root " + root.string() + " (MDIVICOM_DEV_PLUGIN_ROOTS): ");
      fs::path pyproject = root / "pyproject.toml";
      PluginOrigin origin;
      origin.manifest_path = pyproject.string();
      std::string id = root.filename().string();
      std::error_code error;
      if (!fs::is_regular_file(pyproject, error)) {
        m_places.back() += "no pyproject.toml";
        plugins.push_back(error_plugin(origin, id,
                                       "MDIVICOM_DEV_PLUGIN_ROOTS names " + root.string() +
                                           ", which has no pyproject.toml; fix the path or remove it from the list"));
        continue;
      }
      auto info = read_pyproject(pyproject);
      if (!info) {
        m_places.back() += "an unreadable pyproject.toml";
        plugins.push_back(error_plugin(origin, id, info.error()));
        continue;
      }
      m_places.back() += count_of(info->entry_points.size(), "entry point", "entry points");
      if (info->entry_points.empty()) {
        plugins.push_back(error_plugin(origin, id,
                                       pyproject.string() + " declares no [project.entry-points.\"" +
                                           std::string(k_entry_point_group) +
                                           "\"]; add one per plugin, e.g. "
                                           "my-plugin = \"my_module:get_plugin\""));
        continue;
      }
      for (const auto& entry_point : info->entry_points) {
        Registration registration;
        registration.entry_point = entry_point;
        registration.stamped_files = {pyproject};
        registration.extra_sys_path = dev_root_import_dirs(root);
        registration.watched_dirs = registration.extra_sys_path;
        registration.origin_fields = {{"dev_root", root.string()}};
        registrations.push_back(std::move(registration));
      }
    }
    PluginCache cache(cache_file(), started_ns);
    for (auto& plugin : load_registrations(m_env, registrations, cache)) {
      plugins.push_back(std::move(plugin));
    }
    return plugins;
  }

  void describe_search(PluginSearch& search) const override
  {
    search.places.insert(search.places.end(), m_places.begin(), m_places.end());
  }

  PythonEnv m_env;
  std::vector<fs::path> m_roots;
  std::vector<std::string> m_places; // of the last visit
};

// Entry points of the distributions installed in the env (PYTHONPATH, venv, site dirs).
class InstalledSource : public PythonSource
{
public:
  explicit InstalledSource(PythonEnv env) : m_env(std::move(env)) {}

private:
  std::vector<Plugin> discover_all(int64_t started_ns) override
  {
    std::vector<Registration> registrations;
    const std::vector<fs::path> search_path = m_env.search_path();
    const std::vector<Distribution> distributions = find_distributions(search_path);
    for (const auto& distribution : distributions) {
      for (const auto& entry_point : distribution.entry_points) {
        Registration registration;
        registration.entry_point = entry_point;
        const fs::path& dir = distribution.metadata_dir;
        // The dir's inode changes on reinstall; RECORD lists (and changes with) the files.
        registration.stamped_files = {dir, dir / "entry_points.txt", dir / "RECORD"};
        registration.watched_dirs = {dir.parent_path()};
        registration.origin_fields = {
            {"distribution", {{"name", distribution.name}, {"version", distribution.version}, {"path", dir.string()}}}};
        registrations.push_back(std::move(registration));
      }
    }
    m_place = "entry points (group " + std::string(k_entry_point_group) + ") installed in " + describe_env(m_env) +
              ": " + count_of(registrations.size(), "entry point", "entry points") + " in " +
              count_of(distributions.size(), "distribution", "distributions") + ", searched in " +
              count_of(search_path.size(), "directory", "directories") + " (PYTHONPATH and site-packages)";
    PluginCache cache(cache_file(), started_ns);
    return load_registrations(m_env, registrations, cache);
  }

  void describe_search(PluginSearch& search) const override
  {
    if (!m_place.empty()) {
      search.places.push_back(m_place);
    }
    search.tries.emplace_back("--python-env VENV (or MDIVICOM_PYTHON_ENV=VENV) for Python plugins installed in a "
                              "virtual environment" +
                              std::string(m_env.venv ? " other than " + m_env.venv->string() : ""));
    search.tries.emplace_back("MDIVICOM_DEV_PLUGIN_ROOTS=DIR[:DIR...] for a Python plugin's source tree (a "
                              "pyproject.toml with [project.entry-points.\"" +
                              std::string(k_entry_point_group) + "\"])");
  }

  PythonEnv m_env;
  std::string m_place; // of the last visit
};

} // namespace

std::vector<std::unique_ptr<PluginSource>> make_python_sources(const std::optional<fs::path>& python_env)
{
  PythonEnv env = resolve_python_env(python_env).take_or_throw(ExitCode::usage);
  for (const auto& warning : env.warnings) {
    spdlog::warn("{}", warning);
  }
  std::vector<std::unique_ptr<PluginSource>> sources;
  std::vector<fs::path> roots = dev_plugin_roots();
  if (!roots.empty()) {
    sources.push_back(std::make_unique<DevRootSource>(env, std::move(roots)));
  }
  sources.push_back(std::make_unique<InstalledSource>(std::move(env)));
  return sources;
}

} // namespace mdivicom::inproc
