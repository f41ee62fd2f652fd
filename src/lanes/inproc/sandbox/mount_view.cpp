#include "lanes/inproc/sandbox/mount_view.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <linux/capability.h>
#include <pwd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mdivicom::inproc {

namespace fs = std::filesystem;

namespace {

// Below the home directory: where tools keep keys, tokens and passwords.
constexpr const char* k_home_credentials[] = {
    ".ssh",
    ".gnupg",
    ".aws",
    ".azure",
    ".config/gcloud",
    ".kube",
    ".docker",
    ".netrc",
    ".git-credentials",
    ".config/git/credentials",
    ".pgpass",
    ".password-store",
    ".local/share/keyrings",
    ".config/gh",
    ".pypirc",
    ".npmrc",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".vault-token",
    ".config/rclone",
    ".s3cfg",
    ".boto",
    ".terraform.d",
    ".config/containers/auth.json",
};

// Sockets of container engines (root on the host) and per-user runtime dirs (agents, D-Bus).
constexpr const char* k_host_sockets[] = {
    "/run/docker.sock", "/run/docker", "/run/podman",    "/run/containerd",
    "/run/user",        "/run/dbus",   "/tmp/.X11-unix", "/tmp/.ICE-unix",
};

bool is_within(const fs::path& path, const fs::path& root)
{
  auto [end, ignored] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return end == root.end();
}

bool related(const fs::path& a, const fs::path& b)
{
  return is_within(a, b) || is_within(b, a);
}

fs::path resolved(const fs::path& path)
{
  std::error_code error;
  fs::path real = fs::canonical(path, error);
  return error ? path.lexically_normal() : real;
}

std::vector<fs::path> path_list(const char* variable)
{
  std::vector<fs::path> paths;
  const char* value = std::getenv(variable);
  std::stringstream stream(value != nullptr ? value : "");
  for (std::string item; std::getline(stream, item, ':');) {
    if (!item.empty() && item[0] == '/') {
      paths.push_back(resolved(item));
    }
  }
  return paths;
}

void add_unix_socket(std::vector<fs::path>& paths, const char* variable)
{
  const char* value = std::getenv(variable);
  std::string text = value != nullptr ? value : "";
  if (text.rfind("unix://", 0) == 0 && text.size() > 7) {
    paths.emplace_back(text.substr(7));
  }
}

// A path of /proc/self/mountinfo: spaces, tabs, newlines and backslashes come as octal escapes.
std::string unescape(const std::string& text)
{
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      out += static_cast<char>(std::strtol(text.substr(i + 1, 3).c_str(), nullptr, 8));
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

unsigned long mount_flags(const std::string& options)
{
  static const std::map<std::string, unsigned long> k_flags = {
      {"ro", MS_RDONLY},         {"nosuid", MS_NOSUID},
      {"nodev", MS_NODEV},       {"noexec", MS_NOEXEC},
      {"noatime", MS_NOATIME},   {"nodiratime", MS_NODIRATIME},
      {"relatime", MS_RELATIME}, {"nosymfollow", 256 /* MS_NOSYMFOLLOW */},
  };
  unsigned long flags = 0;
  std::stringstream stream(options);
  for (std::string option; std::getline(stream, option, ',');) {
    auto found = k_flags.find(option);
    flags |= found != k_flags.end() ? found->second : 0;
  }
  return flags;
}

// Every mount point with the options of its topmost mount (the one a path reaches).
std::map<fs::path, unsigned long> mount_points()
{
  std::map<fs::path, unsigned long> points;
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    std::istringstream fields(line);
    std::string id, parent, device, root, point, options;
    if (fields >> id >> parent >> device >> root >> point >> options) {
      points[unescape(point)] = mount_flags(options);
    }
  }
  return points;
}

std::string errno_text(const std::string& what)
{
  return what + ": " + std::strerror(errno);
}

bool hide(const fs::path& path, MountViewResult& result)
{
  struct stat info = {};
  if (lstat(path.c_str(), &info) != 0) {
    return false;
  }
  int rc = S_ISDIR(info.st_mode)
               ? mount("tmpfs", path.c_str(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=000")
               : mount("/dev/null", path.c_str(), nullptr, MS_BIND, nullptr);
  if (rc != 0) {
    result.problems.push_back(errno_text("cannot hide " + path.string()));
    return false;
  }
  result.hidden.push_back(path.string());
  return true;
}

void hide_defaults(const MountRules& rules, MountViewResult& result)
{
  std::vector<fs::path> kept = path_list("MDIVICOM_SANDBOX_EXPOSE");
  for (const auto& list : {rules.visible, rules.writable_dirs}) {
    for (const auto& path : list) {
      kept.push_back(resolved(path));
    }
  }
  std::vector<fs::path> done;
  for (const auto& candidate : default_hidden_paths()) {
    struct stat info = {};
    if (lstat(candidate.c_str(), &info) != 0) {
      continue; // most of the list, on most machines
    }
    const fs::path path = resolved(candidate);
    if (std::find(done.begin(), done.end(), path) != done.end()) {
      continue;
    }
    done.push_back(path);
    if (std::any_of(kept.begin(), kept.end(), [&](const fs::path& keep) { return related(path, keep); })) {
      result.exposed.push_back(path.string());
      continue;
    }
    hide(path, result);
  }
}

} // namespace

std::vector<fs::path> default_hidden_paths()
{
  std::vector<fs::path> homes;
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0] == '/') {
    homes.emplace_back(home);
  }
  if (const passwd* entry = getpwuid(getuid()); entry != nullptr && entry->pw_dir != nullptr) {
    homes.emplace_back(entry->pw_dir);
  }
  std::vector<fs::path> paths;
  for (const auto& home : homes) {
    for (const char* name : k_home_credentials) {
      paths.push_back(home / name);
    }
  }
  for (const char* socket : k_host_sockets) {
    paths.emplace_back(socket);
  }
  for (const char* variable : {"XDG_RUNTIME_DIR", "SSH_AUTH_SOCK", "GNUPGHOME"}) {
    if (const char* value = std::getenv(variable); value != nullptr && value[0] == '/') {
      paths.emplace_back(value);
    }
  }
  add_unix_socket(paths, "DOCKER_HOST");
  add_unix_socket(paths, "CONTAINER_HOST");
  return paths;
}

MountViewResult lock_down_mounts(const MountRules& rules)
{
  MountViewResult result;
  // Nothing done below may reach the host's mount table.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    result.reason = errno_text("cannot make the sandbox's mounts private");
    return result;
  }
  std::vector<fs::path> writable;
  for (const auto& dir : rules.writable_dirs) {
    const fs::path path = resolved(dir);
    if (rules.private_shm && path == "/dev/shm") {
      continue; // a fresh one below
    }
    if (mount(path.c_str(), path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      result.problems.push_back(errno_text("cannot bind " + path.string()));
      continue; // stays read-only, like everything else
    }
    writable.push_back(path);
  }
  if (rules.private_shm && fs::is_directory("/dev/shm") &&
      mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") == 0) {
    result.private_shm = true;
    writable.emplace_back("/dev/shm");
  }
  result.private_proc = mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0;
  hide_defaults(rules, result);
  for (const auto& mount_point : mount_points()) {
    const fs::path& point = mount_point.first; // named: clang 14 cannot capture a structured binding
    const unsigned long flags = mount_point.second;
    const bool is_writable =
        std::any_of(writable.begin(), writable.end(), [&](const fs::path& dir) { return is_within(point, dir); });
    const unsigned long wanted =
        is_writable ? ((flags & ~static_cast<unsigned long>(MS_RDONLY)) | MS_NOSUID | MS_NODEV) : (flags | MS_RDONLY);
    if (mount(nullptr, point.c_str(), nullptr, MS_REMOUNT | MS_BIND | wanted, nullptr) == 0) {
      continue;
    }
    if (point == "/") {
      result.reason = errno_text("cannot make / read-only");
      return result;
    }
    if (errno != ENOENT && errno != ENOTDIR) { // below a hidden dir: out of sight already
      result.problems.push_back(errno_text("cannot remount " + point.string()));
    }
  }
  result.enforced = true;
  return result;
}

std::string drop_capabilities()
{
  for (unsigned long cap = 0; cap < 64; ++cap) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return errno_text("prctl(PR_CAPBSET_DROP)");
    }
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capset, &header, data) != 0) {
    return errno_text("capset");
  }
  return {};
}

nlohmann::json mount_view_facts(const MountViewResult& result)
{
  nlohmann::json facts = {{"enforced", result.enforced},
                          {"private_proc", result.private_proc},
                          {"private_shm", result.private_shm},
                          {"hidden", result.hidden}};
  if (!result.reason.empty()) {
    facts["reason"] = result.reason;
  }
  if (!result.exposed.empty()) {
    facts["exposed"] = result.exposed;
  }
  if (!result.problems.empty()) {
    facts["problems"] = result.problems;
  }
  return facts;
}

} // namespace mdivicom::inproc
