#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/run/lane.hpp"

// The container lane: plugins of kind "container" run on Docker or Podman through the Docker
// Engine API over the engine's unix socket. The only header of src/lanes/container/ that the
// command line includes.
namespace mdivicom::container {

// The lane. RunRequest.options it reads:
//   "engine": "unix:///path" (else DOCKER_HOST / CONTAINER_HOST / the usual sockets),
//   "pull": "missing" (default) | "never" | "always",
//   "stop_grace": seconds between SIGTERM and SIGKILL on timeout or interrupt (default 10).
// RunRequest.backend: "docker", "podman" or "auto" (the first reachable engine).
std::unique_ptr<Lane> make_container_lane();

// Checked before a run of a container plugin starts (a usage error, exit 2): "" when the engine
// settings can work, else what is wrong and what to do. Refused: an --engine, or a
// DOCKER_HOST / CONTAINER_HOST that `backend` ("docker", "podman" or "auto") would use, that
// is not a unix socket (tcp://, ssh://).
std::string engine_settings_problem(const std::string& engine_option, const std::string& backend);

// For `mdivicom doctor`: every engine socket that was tried, whether it answers, its name and
// versions, and a fix for each that does not:
//   {"engines": [{socket, source, reachable, name?, version?, api_version?, rootless?,
//                 error?, fix?}], "reachable": <count>}
// A setting a run would refuse (see engine_settings_problem) is the one entry, without socket
// and source, and also "error" beside "engines"; no socket is tried then.
nlohmann::json doctor_facts(const std::string& engine_option);

struct GcOptions
{
  std::string engine; // --engine; empty: every engine found
  std::string backend = "auto";
  bool dry_run = false; // only list
};

// For `mdivicom gc`: removes the containers of mdivicom runs whose runner process is gone
// (killed before it could clean up), on every reachable engine:
//   {"engines": [{socket, name, removed|found: [{id, name, run_id, state, runner_pid}],
//                 errors: [...]}]}
nlohmann::json gc(const GcOptions& options);

} // namespace mdivicom::container
