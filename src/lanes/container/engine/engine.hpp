#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/error.hpp"
#include "lanes/container/engine/http.hpp"
#include "lanes/container/engine/json_stream.hpp"

namespace mdivicom::container {

// The Docker Engine API version every request is pinned to (Docker 20.10, Podman 3+ compat).
inline constexpr std::string_view k_api_version = "1.41";
// Podman's own API, used where the compat API is slow (wait polls every 0.3-0.6 s there).
inline constexpr std::string_view k_libpod_version = "4.0.0";

// A socket to try, and why it is on the list (for messages and facts).
struct EngineCandidate
{
  std::string socket;
  std::string source;   // "--engine", "DOCKER_HOST", "CONTAINER_HOST" or "default"
  std::string expected; // "docker" or "podman": the engine usually found there
};

// The sockets to try in order for --engine (unix:///path, or empty) and --backend
// (docker, podman or auto). A failure naming the setting, its value and the fix for an
// --engine, or a DOCKER_HOST / CONTAINER_HOST the backend would use, that is not a unix
// socket (tcp://, ssh://): such a setting is never passed over for another engine.
Result<std::vector<EngineCandidate>> engine_candidates(const std::string& engine_option, const std::string& backend);

struct EngineInfo
{
  std::string name;        // "docker" or "podman", from /version
  std::string version;     // the engine's own version
  std::string api_version; // the Docker API version it speaks at most
  std::string min_api_version;
  std::string libpod_api_version; // podman only
  std::string os;
  std::string kernel;
  std::string socket;
  std::string source;
  bool rootless = false; // the engine runs as a user: container uid 0 is that user

  nlohmann::json to_json() const;
};

// The answer of one API call: parsed JSON body, or what went wrong.
struct ApiResult
{
  long status = 0;     // 0: no answer (engine gone)
  nlohmann::json body; // parsed when the engine sent JSON, else the text
  std::string error;   // engine message or transport failure; "" when ok
  bool ok() const { return error.empty(); }
  bool not_found() const { return status == 404; }
};

// A connected, identified engine. Cheap to keep: one reused connection.
class Engine
{
public:
  // Connects, identifies the engine from /version and checks its API version. The failure
  // names the socket and what to start or fix.
  static Result<Engine> connect(const EngineCandidate& candidate);

  const EngineInfo& info() const { return m_info; }
  bool is_podman() const { return m_info.name == "podman"; }
  // Podman 4+: its own API (libpod) is there next to the compat one.
  bool has_libpod() const
  {
    return is_podman() && !m_info.libpod_api_version.empty() && m_info.libpod_api_version[0] >= '4';
  }
  const std::string& socket() const { return m_info.socket; }

  // "/v1.41" + path, and "/v4.0.0/libpod" + path.
  static std::string api(std::string_view path);
  static std::string libpod(std::string_view path);

  // Sends a request whose answer is JSON (or empty). A non-2xx answer becomes error with
  // the engine's message; timeout_ms 0 waits as long as it takes.
  ApiResult call(const std::string& method, const std::string& target, const nlohmann::json& body = nullptr,
                 long timeout_ms = 60000) const;

  // For streamed and uploading requests.
  HttpResponse send(const HttpRequest& request) const;

  // GET /version: the engine's full description (slow on Podman: for doctor, not runs).
  ApiResult details() const { return call("GET", "/version", nullptr, 60000); }

  // The phrase used when the engine stops answering mid-run.
  std::string lost_message(const std::string& transport_error) const;

private:
  Engine(HttpClient http, EngineInfo info);
  HttpClient m_http;
  EngineInfo m_info;
};

// With --verbose: "engine: METHOD TARGET -> status in N ms", for every request a run makes.
void log_request(const std::string& method, const std::string& target, const HttpResponse& response,
                 std::chrono::steady_clock::time_point begin);

// Connects to the first reachable candidate. When none is, one message lists each socket
// tried, why it failed and what to start or set.
Result<Engine> open_engine(const std::string& engine_option, const std::string& backend);

} // namespace mdivicom::container
