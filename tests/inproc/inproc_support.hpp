#pragma once

// Helpers for the in-process lane's tests: real plugins written into temp dirs, an isolated
// environment, and a sink that keeps what a run printed.

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include "core/run/lane.hpp"
#include "core/plugins/plugin.hpp"
#include "support/temp_dir.hpp"

namespace mdivicom::test {

using EnvValues = std::map<std::string, std::optional<std::string>>;

// Sets environment variables for its lifetime (std::nullopt unsets), then restores them.
class ScopedEnv
{
public:
  explicit ScopedEnv(EnvValues values);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
  std::map<std::string, std::optional<std::string>> m_saved;
};

// A temp dir plus an environment that only sees what the test puts there: a private plugin
// cache, no venv, no PYTHONPATH, no dev roots, no user site.
class PythonSandbox
{
public:
  PythonSandbox();
  const std::filesystem::path& path() const { return m_dir.path(); }
  std::filesystem::path operator/(const std::string& name) const { return m_dir / name; }
  std::filesystem::path cache_file() const;

private:
  TempDir m_dir;
  ScopedEnv m_env;
};

// A flat-layout source tree usable as a dev root: pyproject.toml declaring `entry_points`
// (name -> "module:attr") and the given module files (relative path -> source).
void write_dev_root(const std::filesystem::path& root, const std::map<std::string, std::string>& entry_points,
                    const std::map<std::string, std::string>& files);

// An installed distribution in `site_dir`, laid out as pip would: the modules, and
// <name>-<version>.dist-info/{METADATA, entry_points.txt, RECORD}.
void write_installed(const std::filesystem::path& site_dir, const std::string& name, const std::string& version,
                     const std::map<std::string, std::string>& entry_points,
                     const std::map<std::string, std::string>& files);

// A get_plugin() returning a v0.1 registration with this id and run callable.
std::string get_plugin_source(const std::string& id, const std::string& callable);

// Creates a venv with /usr/bin/python3 -m venv --without-pip; returns its site-packages.
std::filesystem::path make_venv(const std::filesystem::path& dir, bool system_site_packages = false);

// Keeps what a run printed.
class CapturingSink : public OutputSink
{
public:
  void out(std::string_view text) override;
  void err(std::string_view text) override;

  std::string out_text;
  std::string err_text;
  // Called with each stdout chunk (e.g. to interrupt once the plugin says it is ready).
  std::function<void(const std::string& so_far)> on_out;
};

// A run of a dev-root plugin whose module `module` (written into the root) has `run`.
struct LaneRun
{
  TempDir dir;
  std::filesystem::path root;    // the dev root
  std::filesystem::path dataset; // holds data/readme.txt
  std::filesystem::path out_root;
  RunRequest request;

  // Writes <root>/<module>.py with `source` and fills a request for "<module>:run".
  LaneRun(const std::string& source, const std::string& config_text = "{}");
};

// Runs the request through the python lane: prepare(), then execute().
RunOutcome execute(const RunRequest& request, CapturingSink& sink);

// The pids of processes whose command line is exactly `argv` (all of the machine's).
std::vector<pid_t> processes_running(const std::vector<std::string>& argv);

// Python's own answer: json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False).
std::string python_json_roundtrip(const std::string& text);

} // namespace mdivicom::test
