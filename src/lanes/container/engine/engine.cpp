#include "lanes/container/engine/engine.hpp"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace mdivicom::container {

namespace {

const char* env_or_empty(const char* name)
{
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// "unix:///x" -> "/x"; a bare absolute path is accepted as well. Anything else (tcp://,
// ssh://, npipe://, fd://) is refused with what to do, never skipped for another engine: the
// user asked for that engine. `what` is "--engine" or the variable's name.
Result<std::string> socket_from_uri(const std::string& uri, const std::string& what)
{
  if (uri.rfind("unix://", 0) == 0 && uri.size() > 7 && uri[7] == '/') {
    return uri.substr(7);
  }
  if (!uri.empty() && uri[0] == '/') {
    return uri;
  }
  const std::string example = what == "CONTAINER_HOST" ? "unix:///run/podman/podman.sock" : "unix:///run/docker.sock";
  std::string fix = "leave --engine out or give a unix socket, e.g. --engine " + example;
  if (what != "--engine") {
    fix = "unset " + what + " (the usual sockets are tried then) or point it at a unix socket, e.g. " + what + "=" +
          example;
  }
  return Failure{what + "=" + uri +
                 " is not a unix socket: mdivicom talks only to local engines over a unix socket (unix:///path); " +
                 fix};
}

std::string start_hint(const std::string& expected)
{
  if (expected == "podman") {
    return "start the service with 'podman system service' (or 'systemctl --user start podman.socket' "
           "for rootless Podman) or set CONTAINER_HOST";
  }
  return "start Docker ('systemctl start docker', or dockerd) or set DOCKER_HOST";
}

std::string connect_failure(const EngineCandidate& candidate, int os_errno, const std::string& transport)
{
  std::string head = "cannot connect to " + candidate.socket + " (" + candidate.source + "): ";
  switch (os_errno) {
  case ENOENT: return head + "no such file; " + start_hint(candidate.expected);
  case ECONNREFUSED:
    return head + "connection refused (a stale socket: the engine is not running); " + start_hint(candidate.expected);
  case EACCES:
  case EPERM:
    return head + "permission denied; " +
           (candidate.expected == "podman"
                ? std::string("use your own rootless socket ($XDG_RUNTIME_DIR/podman/podman.sock) or ask for "
                              "access to this one")
                : std::string("add yourself to the socket's group ('sudo usermod -aG docker $USER', then log in "
                              "again) or use a rootless engine"));
  default: return head + transport + "; " + start_hint(candidate.expected);
  }
}

// "1.41" < "1.9"? Compares dotted numbers component by component.
int compare_versions(const std::string& a, const std::string& b)
{
  std::istringstream left(a), right(b);
  std::string x, y;
  while (true) {
    bool more_left = static_cast<bool>(std::getline(left, x, '.'));
    bool more_right = static_cast<bool>(std::getline(right, y, '.'));
    if (!more_left && !more_right) {
      return 0;
    }
    long lx = more_left ? std::strtol(x.c_str(), nullptr, 10) : 0;
    long ly = more_right ? std::strtol(y.c_str(), nullptr, 10) : 0;
    if (lx != ly) {
      return lx < ly ? -1 : 1;
    }
  }
}

// The uid of the process serving the socket: non-zero means a rootless engine, whose
// container uid 0 is that user. -1 when unknown.
long socket_owner_uid(const std::string& path)
{
  sockaddr_un address = {};
  if (path.size() >= sizeof address.sun_path) {
    return -1;
  }
  address.sun_family = AF_UNIX;
  path.copy(address.sun_path, path.size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  long uid = -1;
  ucred credentials = {};
  socklen_t size = sizeof credentials;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) == 0) {
    uid = static_cast<long>(credentials.uid);
  }
  close(fd);
  return uid;
}

// From the headers of GET /_ping, which every engine answers at once. (Podman's /version and
// /info ask the package manager about conmon and the runtime and take seconds.)
bool identify_from_ping(const HttpResponse& ping, EngineInfo& info)
{
  auto header = [&](const char* name) {
    auto it = ping.headers.find(name);
    return it == ping.headers.end() ? std::string() : it->second;
  };
  std::string server = header("server"); // "Docker/20.10.24 (linux)", "Libpod/4.3.1 (linux)"
  info.api_version = header("api-version");
  info.libpod_api_version = header("libpod-api-version");
  info.name = info.libpod_api_version.empty() ? "docker" : "podman";
  auto slash = server.find('/');
  if (slash == std::string::npos || info.api_version.empty()) {
    return false;
  }
  info.version = server.substr(slash + 1, server.find(' ', slash) - slash - 1);
  return true;
}

EngineInfo identify(const nlohmann::json& version, const EngineCandidate& candidate)
{
  EngineInfo info;
  info.socket = candidate.socket;
  info.source = candidate.source;
  info.name = "docker";
  info.version = version.value("Version", "");
  info.api_version = version.value("ApiVersion", "");
  info.min_api_version = version.value("MinAPIVersion", "");
  info.os = version.value("Os", "");
  info.kernel = version.value("KernelVersion", "");
  // Podman's compat /version names its engine component "Podman Engine"; Docker's is "Engine".
  for (const auto& component : version.value("Components", nlohmann::json::array())) {
    std::string name = component.value("Name", "");
    if (name == "Podman Engine") {
      info.name = "podman";
      info.version = component.value("Version", info.version);
      info.libpod_api_version = component.value(nlohmann::json::json_pointer("/Details/APIVersion"), "");
    }
  }
  return info;
}

} // namespace

nlohmann::json EngineInfo::to_json() const
{
  nlohmann::json result = {{"name", name},
                           {"version", version},
                           {"api_version", api_version},
                           {"socket", socket},
                           {"socket_source", source},
                           {"rootless", rootless},
                           {"api_version_used", std::string(k_api_version)}};
  // Known only when the engine was identified from /version.
  const std::pair<const char*, const std::string*> optional[] = {{"libpod_api_version", &libpod_api_version},
                                                                 {"min_api_version", &min_api_version},
                                                                 {"os", &os},
                                                                 {"kernel", &kernel}};
  for (const auto& [key, value] : optional) {
    if (!value->empty()) {
      result[key] = *value;
    }
  }
  return result;
}

Result<std::vector<EngineCandidate>> engine_candidates(const std::string& engine_option, const std::string& backend)
{
  if (backend != "docker" && backend != "podman" && backend != "auto") {
    return Failure{"--backend " + backend + ": the container lane runs on docker, podman or auto"};
  }
  std::vector<EngineCandidate> result;
  if (!engine_option.empty()) {
    auto socket = socket_from_uri(engine_option, "--engine");
    if (!socket) {
      return Failure{socket.error()};
    }
    result.push_back({*socket, "--engine", backend == "podman" ? "podman" : "docker"});
    return result;
  }
  std::optional<std::string> refused;
  auto add_env = [&](const char* variable, const char* expected) {
    std::string value = env_or_empty(variable);
    if (value.empty() || refused) {
      return;
    }
    auto socket = socket_from_uri(value, variable);
    if (socket) {
      result.push_back({*socket, variable, expected});
    } else {
      refused = socket.error();
    }
  };
  std::string runtime_dir = env_or_empty("XDG_RUNTIME_DIR");
  if (backend != "podman") {
    add_env("DOCKER_HOST", "docker");
  }
  if (backend != "docker") {
    add_env("CONTAINER_HOST", "podman");
  }
  if (refused) {
    return Failure{*refused};
  }
  if (backend != "podman") {
    result.push_back({"/var/run/docker.sock", "default", "docker"});
  }
  if (backend != "docker") {
    result.push_back({"/run/podman/podman.sock", "default", "podman"});
    if (!runtime_dir.empty()) {
      result.push_back({runtime_dir + "/podman/podman.sock", "default", "podman"});
    }
  }
  return result;
}

Engine::Engine(HttpClient http, EngineInfo info) : m_http(std::move(http)), m_info(std::move(info)) {}

Result<Engine> Engine::connect(const EngineCandidate& candidate)
{
  std::error_code ec;
  if (!std::filesystem::exists(candidate.socket, ec)) {
    return Failure{connect_failure(candidate, ENOENT, "")};
  }
  HttpClient http(candidate.socket);
  HttpRequest ping("GET", "/_ping");
  ping.timeout_ms = 15000;
  auto begin = std::chrono::steady_clock::now();
  HttpResponse response = http.send(ping);
  log_request(ping.method, ping.target, response, begin);
  if (!response.transport_ok()) {
    return Failure{connect_failure(candidate, response.os_errno, response.error)};
  }
  EngineInfo info;
  info.socket = candidate.socket;
  info.source = candidate.source;
  if (response.status != 200 || !identify_from_ping(response, info)) {
    HttpRequest request("GET", "/version");
    request.timeout_ms = 30000;
    response = http.send(request);
    nlohmann::json version = nlohmann::json::parse(response.body, nullptr, false);
    if (response.status != 200 || !version.is_object() || !version.contains("ApiVersion")) {
      return Failure{candidate.socket + " answered GET /version with HTTP " + std::to_string(response.status) +
                     ": not a Docker-compatible engine API; point --engine at a Docker or Podman socket"};
    }
    info = identify(version, candidate);
  }
  if (compare_versions(info.api_version, std::string(k_api_version)) < 0) {
    return Failure{info.name + " " + info.version + " at " + candidate.socket + " speaks Docker API " +
                   info.api_version + ", too old: mdivicom needs API " + std::string(k_api_version) +
                   " (Docker 20.10 or Podman 4); upgrade the engine"};
  }
  // Rootless engines map container uid 0 to the caller, which decides the user we run as.
  info.rootless = socket_owner_uid(candidate.socket) > 0;
  return Engine(std::move(http), std::move(info));
}

std::string Engine::api(std::string_view path)
{
  return "/v" + std::string(k_api_version) + std::string(path);
}

std::string Engine::libpod(std::string_view path)
{
  return "/v" + std::string(k_libpod_version) + "/libpod" + std::string(path);
}

HttpResponse Engine::send(const HttpRequest& request) const
{
  auto begin = std::chrono::steady_clock::now();
  HttpResponse response = m_http.send(request);
  log_request(request.method, request.target, response, begin);
  return response;
}

void log_request(const std::string& method, const std::string& target, const HttpResponse& response,
                 std::chrono::steady_clock::time_point begin)
{
  if (!spdlog::should_log(spdlog::level::debug)) {
    return;
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count();
  spdlog::debug("engine: {} {} -> {} in {:.1f} ms", method, target,
                response.transport_ok() ? std::to_string(response.status) : response.error, ms);
}

std::string Engine::lost_message(const std::string& transport_error) const
{
  return "lost the connection to " + m_info.name + " at " + m_info.socket + " (" + transport_error +
         "); the engine stopped or crashed: check its service and logs";
}

ApiResult Engine::call(const std::string& method, const std::string& target, const nlohmann::json& body,
                       long timeout_ms) const
{
  HttpRequest request(method, target);
  request.timeout_ms = timeout_ms;
  if (!body.is_null()) {
    request.body = body.dump();
  }
  auto begin = std::chrono::steady_clock::now();
  HttpResponse response = m_http.send(request);
  log_request(method, target, response, begin);
  ApiResult result;
  result.status = response.status;
  if (!response.transport_ok()) {
    result.error = lost_message(response.error);
    return result;
  }
  result.body = nlohmann::json::parse(response.body, nullptr, false);
  if (result.body.is_discarded()) {
    result.body = response.body;
  }
  if (response.status < 200 || response.status >= 300) {
    std::string message = result.body.is_object() ? result.body.value("message", "") : response.body;
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    result.error =
        method + " " + target + ": HTTP " + std::to_string(response.status) + (message.empty() ? "" : ": " + message);
  }
  return result;
}

Result<Engine> open_engine(const std::string& engine_option, const std::string& backend)
{
  auto candidates = engine_candidates(engine_option, backend);
  if (!candidates) {
    return Failure{candidates.error()};
  }
  std::vector<std::string> failures;
  for (const auto& candidate : *candidates) {
    auto engine = Engine::connect(candidate);
    if (engine) {
      return engine;
    }
    failures.push_back(engine.error());
  }
  if (failures.size() == 1) {
    return Failure{failures.front()};
  }
  std::string message = "no container engine is reachable; tried:";
  for (const auto& failure : failures) {
    message += "\n  " + failure;
  }
  return Failure{message};
}

} // namespace mdivicom::container
