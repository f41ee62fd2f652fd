#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/plugins/plugin.hpp"

namespace mdivicom {

enum class RunStatus { running, succeeded, failed, crashed, timeout, cancelled };
std::string_view to_string(RunStatus status);

// Everything core resolved for one run; a lane executes it and touches nothing else.
struct RunRequest
{
  Plugin plugin;
  std::string run_id;
  std::filesystem::path dataset_dir;    // absolute, an existing directory
  std::filesystem::path out_root;       // O: holds <id>/ and _runs/
  std::filesystem::path plugin_out_dir; // O/<id>: the only output dir the plugin may write
  std::filesystem::path work_dir;       // absolute; created by core
  std::filesystem::path tmp_dir;        // private scratch dir, removed after the run
  std::filesystem::path log_path;       // O/_runs/<run_id>.log
  std::string config_text;              // the config as canonical JSON (the hashed bytes)
  std::string config_source;            // the config as given: json.loads of it keeps its keys' order
  nlohmann::json config;                // the same config, parsed
  bool dry_run = false;
  std::optional<double> timeout_s;
  std::string backend;                               // "python", "docker", "podman" or "auto"
  nlohmann::json options = nlohmann::json::object(); // lane options from the command line
};

// One file of a plugin's code and its hash, as the lane found it (a distribution's RECORD, a
// source tree walked): what --explain names when the code changed.
struct CodeFile
{
  std::string path;
  std::string hash;
  bool operator==(const CodeFile&) const = default;
};

// What identifies the code a run would execute, part of the run's key (core/run/run_key.hpp).
struct CodeIdentity
{
  // e.g. {"source": "distribution", "name", "version", "files_sha256", "interpreter"} or
  // {"source": "image", "image": "<ref>", "image_id": "sha256:..."}; null: the lane cannot tell.
  nlohmann::json summary;
  std::vector<CodeFile> files; // sorted by path; empty when the lane has no file list
};

// Where plugin output goes: live to the terminal and into the run log (secrets redacted).
class OutputSink
{
public:
  virtual ~OutputSink() = default;
  virtual void out(std::string_view text) = 0;
  virtual void err(std::string_view text) = 0;
};

struct RunOutcome
{
  RunStatus status = RunStatus::failed;
  std::optional<int> exit_code;
  std::optional<int> signal;
  nlohmann::json error; // null, or {type, message, traceback?}
  std::string backend;  // the backend that ran: "python", "docker", "podman"
  // Lane facts merged into the run record under their own keys, e.g. {"python": {...}},
  // {"container": {...}}, {"sandbox": {...}}.
  nlohmann::json facts = nlohmann::json::object();
};

// One way of executing plugins. Core plans and records a run; a lane only executes it.
class Lane
{
public:
  virtual ~Lane() = default;

  // Called on the main thread as soon as the plugin is known (a process started here may tie
  // itself to that thread with PR_SET_PDEATHSIG), with the lane options of the command line.
  // Starts what
  // execute() will need so that it overlaps core's planning: a worker process that loads the
  // interpreter, a thread that loads libcurl. Returns at once; must not throw or touch the
  // run's directories. The lane stops whatever execute() did not use when it is destroyed.
  virtual void prepare(const Plugin& /*plugin*/, const nlohmann::json& /*options*/) {}

  // Like prepare(), but before the plugin is known: a front end that expects this lane to run
  // the plugin calls it first thing, so that the lane's start overlaps finding the plugin.
  // Starts only what needs no plugin; prepare() is still called once the plugin is known.
  virtual void warm_up(const nlohmann::json& /*options*/) {}

  // Called once the run is planned (its scratch and work paths set), before anything is written
  // for it: why this lane will not run the request, refused as a usage error (exit 2, no
  // record), or "". A lane may keep what it worked out for execute(), which must still refuse
  // (as a failed run) when this was not called.
  virtual std::string refusal(const RunRequest& /*request*/) { return {}; }

  // Runs the plugin to the end. Must return an outcome for every ending (a failure to start
  // included) and must honour the request's timeout and interrupt_requested().
  virtual RunOutcome execute(const RunRequest& request, OutputSink& output) = 0;

  // The identity of the code the request would run, without running anything (no pull): the
  // Python plugin's installed or source files and the interpreter's version, a container's
  // image ID. Called before refusal(); must not throw for a plugin execute() would refuse.
  virtual CodeIdentity code_identity(const RunRequest& /*request*/) { return {}; }

  // What would be done (e.g. the exact engine API requests), without doing it.
  virtual nlohmann::json describe(const RunRequest& request) = 0;
};

} // namespace mdivicom
