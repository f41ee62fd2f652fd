#include "lanes/container/runner.hpp"

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <cstdlib>
#include <sstream>

#include <unistd.h>

#include "core/util/text_bytes.hpp"

namespace mdivicom::container {

namespace {

std::string read_line(const std::string& path)
{
  std::ifstream file(path);
  std::string line;
  std::getline(file, line);
  return line;
}

// Field 22 of /proc/<pid>/stat; "" when there is no such process.
std::string start_ticks(long pid)
{
  std::string stat = read_line("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  if (paren == std::string::npos) {
    return "";
  }
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) {
      return field;
    }
  }
  return "";
}

std::string hostname()
{
  char buffer[256] = {};
  gethostname(buffer, sizeof buffer - 1);
  return buffer;
}

std::string label(const nlohmann::json& labels, const char* key)
{
  return labels.is_object() && labels.contains(key) && labels[key].is_string() ? labels[key].get<std::string>() : "";
}

} // namespace

RunnerIdentity RunnerIdentity::self()
{
  RunnerIdentity identity;
  identity.host = hostname();
  identity.boot = read_line("/proc/sys/kernel/random/boot_id");
  identity.pid = static_cast<long>(getpid());
  identity.start = start_ticks(identity.pid);
  std::error_code error;
  identity.pidns = std::filesystem::read_symlink("/proc/self/ns/pid", error).string();
  return identity;
}

RunnerIdentity RunnerIdentity::from_labels(const nlohmann::json& labels)
{
  RunnerIdentity identity;
  identity.host = label(labels, "mdivicom.runner.host");
  identity.boot = label(labels, "mdivicom.runner.boot");
  identity.pid = std::strtol(label(labels, "mdivicom.runner.pid").c_str(), nullptr, 10);
  identity.start = label(labels, "mdivicom.runner.start");
  identity.pidns = label(labels, "mdivicom.runner.pidns");
  return identity;
}

bool RunnerIdentity::gone() const
{
  RunnerIdentity me = self();
  if (host != me.host || pidns != me.pidns || pid <= 0) {
    return false; // another machine's or PID namespace's runner (or an older mdivicom's): not ours to judge
  }
  if (!boot.empty() && boot != me.boot) {
    return true;
  }
  std::string now = start_ticks(pid);
  if (now.empty()) {
    return kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; // EPERM: alive, another user's
  }
  return !start.empty() && now != start;
}

nlohmann::json run_labels(const RunRequest& request)
{
  RunnerIdentity me = RunnerIdentity::self();
  return {{"mdivicom.run_id", request.run_id},
          {"mdivicom.plugin", request.plugin.ref()},
          {"mdivicom.runner.host", me.host},
          {"mdivicom.runner.boot", me.boot},
          {"mdivicom.runner.pid", std::to_string(me.pid)},
          {"mdivicom.runner.start", me.start},
          {"mdivicom.runner.pidns", me.pidns}};
}

Result<std::vector<Leftover>> find_leftovers(const Engine& engine)
{
  nlohmann::json filters = {{"label", {"mdivicom.runner.host=" + hostname()}}};
  ApiResult answer =
      engine.call("GET", Engine::api("/containers/json?all=1&filters=" + percent_encode(filters.dump())));
  if (!answer.ok()) {
    return Failure{"cannot list containers: " + answer.error};
  }
  std::vector<Leftover> result;
  for (const auto& container : answer.body) {
    auto labels = container.value("Labels", nlohmann::json::object());
    RunnerIdentity runner = RunnerIdentity::from_labels(labels);
    if (!runner.gone()) {
      continue;
    }
    std::string name;
    auto names = container.value("Names", nlohmann::json::array());
    if (!names.empty() && names[0].is_string()) {
      name = names[0].get<std::string>();
      if (!name.empty() && name[0] == '/') {
        name.erase(0, 1);
      }
    }
    result.push_back(
        {container.value("Id", ""), name, label(labels, "mdivicom.run_id"), container.value("State", ""), runner.pid});
  }
  return result;
}

nlohmann::json reap_leftovers(const Engine& engine, bool dry_run)
{
  nlohmann::json report = {{dry_run ? "found" : "removed", nlohmann::json::array()},
                           {"errors", nlohmann::json::array()}};
  auto leftovers = find_leftovers(engine);
  if (!leftovers) {
    report["errors"].push_back(leftovers.error());
    return report;
  }
  for (const auto& leftover : *leftovers) {
    nlohmann::json item = {{"id", leftover.id},
                           {"name", leftover.name},
                           {"run_id", leftover.run_id},
                           {"state", leftover.state},
                           {"runner_pid", leftover.runner_pid}};
    if (dry_run) {
      report["found"].push_back(item);
      continue;
    }
    std::string error = remove_container(engine, leftover.id);
    if (error.empty()) {
      report["removed"].push_back(item);
    } else {
      report["errors"].push_back(error);
    }
  }
  return report;
}

std::string remove_container(const Engine& engine, const std::string& id) noexcept
{
  try {
    ApiResult answer = engine.call("DELETE", Engine::api("/containers/" + id + "?force=1&v=1"), nullptr, 60000);
    if (answer.ok() || answer.not_found()) {
      return "";
    }
    return "cannot remove container " + id + ": " + answer.error;
  } catch (const std::exception& e) {
    return "cannot remove container " + id + ": " + e.what();
  }
}

} // namespace mdivicom::container
