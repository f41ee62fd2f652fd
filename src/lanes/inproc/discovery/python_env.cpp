#include "lanes/inproc/discovery/python_env.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <unistd.h>

namespace mdivicom::inproc {

std::string python_version_tag()
{
  return MDIVICOM_PYTHON_VERSION; // pkg-config's python3-embed version, e.g. "3.11"
}

namespace fs = std::filesystem;

namespace {

std::string trim(const std::string& text)
{
  auto start = text.find_first_not_of(" \t\r\n");
  auto end = text.find_last_not_of(" \t\r\n");
  return start == std::string::npos ? std::string() : text.substr(start, end - start + 1);
}

std::string lower(std::string text)
{
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

const char* env_value(const char* name)
{
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

bool is_dir(const fs::path& path)
{
  std::error_code error;
  return fs::is_directory(path, error);
}

// The venv keys Python's site.py reads, plus the version it was made with.
struct VenvConfig
{
  bool system_site_packages = false;
  std::string version;
};

std::optional<VenvConfig> read_pyvenv_cfg(const fs::path& file)
{
  std::ifstream in(file);
  if (!in) {
    return std::nullopt;
  }
  VenvConfig config;
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) {
      continue;
    }
    std::string key = lower(trim(line.substr(0, eq)));
    std::string value = trim(line.substr(eq + 1));
    if (key == "include-system-site-packages") {
      config.system_site_packages = lower(value) == "true";
    } else if (key == "version" || key == "version_info") {
      config.version = value;
    }
  }
  return config;
}

Result<PythonEnv> load_venv(fs::path dir, const std::string& origin)
{
  // Accept the venv's interpreter too ("<venv>/bin/python"), as users often paste that.
  std::error_code error;
  if (fs::is_regular_file(dir, error) && dir.parent_path().filename() == "bin") {
    dir = dir.parent_path().parent_path();
  }
  dir = fs::absolute(dir, error).lexically_normal();
  if (!dir.has_filename()) {
    dir = dir.parent_path();
  }
  std::string where = origin + " " + dir.string();
  if (!is_dir(dir)) {
    return Failure{where + ": no such directory; create the environment with '" + std::string(k_system_python) +
                   " -m venv " + dir.string() + "'"};
  }
  auto config = read_pyvenv_cfg(dir / "pyvenv.cfg");
  if (!config) {
    return Failure{where + ": not a virtual environment (no pyvenv.cfg); create one with '" +
                   std::string(k_system_python) + " -m venv " + dir.string() + "'"};
  }
  std::string tag = python_version_tag();
  if (!config->version.empty() && config->version.rfind(tag + ".", 0) != 0 && config->version != tag) {
    return Failure{where + ": made by Python " + config->version + ", but mdivicom embeds Python " + tag +
                   "; recreate it with '" + std::string(k_system_python) + " -m venv " + dir.string() + "'"};
  }
  PythonEnv env;
  env.origin = origin;
  env.venv = dir;
  env.system_site_packages = config->system_site_packages;
  for (const char* name : {"python3", "python", "python3.11"}) {
    if (fs::exists(dir / "bin" / name, error)) {
      env.executable = dir / "bin" / name;
      break;
    }
  }
  if (env.executable.empty()) {
    return Failure{where + ": has no bin/python3; recreate it with '" + std::string(k_system_python) + " -m venv " +
                   dir.string() + "'"};
  }
  return env;
}

// Debian's site.getsitepackages() for one prefix.
std::vector<fs::path> prefix_site_dirs(const fs::path& prefix, bool virtual_env)
{
  std::string version_dir = "python" + python_version_tag();
  std::vector<fs::path> dirs;
  if (virtual_env) {
    dirs.push_back(prefix / "lib" / version_dir / "site-packages");
  }
  dirs.push_back(prefix / "local" / "lib" / version_dir / "dist-packages");
  dirs.push_back(prefix / "lib" / "python3" / "dist-packages");
  dirs.push_back(prefix / "lib" / version_dir / "dist-packages");
  return dirs;
}

fs::path user_site_dir()
{
  fs::path base;
  if (const char* user_base = env_value("PYTHONUSERBASE")) {
    base = user_base;
  } else if (const char* home = env_value("HOME")) {
    base = fs::path(home) / ".local";
  } else {
    return {};
  }
  return base / "lib" / ("python" + python_version_tag()) / "site-packages";
}

// site.addsitedir(): the dir, then the existing directories named by its *.pth files in name
// order ("import" lines are code and are skipped: they add no path we could know of).
void add_site_dir(const fs::path& dir, std::vector<fs::path>& out, std::set<fs::path>& known)
{
  if (!is_dir(dir) || !known.insert(dir).second) {
    return;
  }
  out.push_back(dir);
  std::vector<fs::path> pth_files;
  std::error_code error;
  for (const auto& item : fs::directory_iterator(dir, error)) {
    std::string name = item.path().filename().string();
    if (name.size() > 4 && name.ends_with(".pth") && name[0] != '.') {
      pth_files.push_back(item.path());
    }
  }
  std::sort(pth_files.begin(), pth_files.end());
  for (const auto& file : pth_files) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#' || trim(line).empty() || line.rfind("import ", 0) == 0 ||
          line.rfind("import\t", 0) == 0) {
        continue;
      }
      while (!line.empty() && (line.back() == '\r' || std::isspace(static_cast<unsigned char>(line.back())))) {
        line.pop_back();
      }
      fs::path entry = (dir / line).lexically_normal();
      if (is_dir(entry) && known.insert(entry).second) {
        out.push_back(entry);
      }
    }
  }
}

void fill_search_dirs(PythonEnv& env)
{
  std::error_code error;
  if (const char* pythonpath = env_value("PYTHONPATH")) {
    std::stringstream stream(pythonpath);
    std::string part;
    while (std::getline(stream, part, ':')) {
      if (!part.empty()) {
        env.pythonpath.push_back(fs::absolute(part, error).lexically_normal());
      }
    }
  }
  std::set<fs::path> known;
  if (env.venv) {
    for (const auto& dir : prefix_site_dirs(*env.venv, true)) {
      add_site_dir(dir, env.site_dirs, known);
    }
  }
  bool uid_ok = getuid() == geteuid() && getgid() == getegid();
  env.user_site = uid_ok && env_value("PYTHONNOUSERSITE") == nullptr && (!env.venv || env.system_site_packages);
  if (env.user_site) {
    add_site_dir(user_site_dir(), env.site_dirs, known);
  }
  if (!env.venv || env.system_site_packages) {
    for (const auto& dir : prefix_site_dirs(k_system_prefix, env.venv.has_value())) {
      add_site_dir(dir, env.site_dirs, known);
    }
  }
}

PythonEnv system_env()
{
  PythonEnv env;
  env.origin = "system";
  env.executable = k_system_python;
  return env;
}

Result<PythonEnv> pick_env(const std::optional<fs::path>& explicit_env)
{
  if (explicit_env && !explicit_env->empty()) {
    return load_venv(*explicit_env, "--python-env");
  }
  if (const char* configured = env_value("MDIVICOM_PYTHON_ENV")) {
    return load_venv(configured, "MDIVICOM_PYTHON_ENV");
  }
  if (const char* active = env_value("VIRTUAL_ENV")) {
    Result<PythonEnv> env = load_venv(active, "VIRTUAL_ENV");
    if (env) {
      return env;
    }
    // A shell may keep VIRTUAL_ENV after the venv was deleted; that is no reason to stop.
    PythonEnv system = system_env();
    system.warnings.push_back("ignoring VIRTUAL_ENV: " + env.error());
    return system;
  }
  return system_env();
}

} // namespace

std::vector<fs::path> PythonEnv::search_path() const
{
  std::vector<fs::path> dirs = pythonpath;
  dirs.insert(dirs.end(), site_dirs.begin(), site_dirs.end());
  return dirs;
}

nlohmann::json PythonEnv::to_json() const
{
  nlohmann::json result = {
      {"origin", origin},
      {"executable", executable.string()},
      {"venv", venv ? nlohmann::json(venv->string()) : nlohmann::json()},
      {"include_system_site_packages", system_site_packages},
      {"user_site", user_site},
      {"pythonpath", nlohmann::json::array()},
      {"site_dirs", nlohmann::json::array()},
  };
  for (const auto& dir : pythonpath) {
    result["pythonpath"].push_back(dir.string());
  }
  for (const auto& dir : site_dirs) {
    result["site_dirs"].push_back(dir.string());
  }
  if (!warnings.empty()) {
    result["warnings"] = warnings;
  }
  return result;
}

Result<PythonEnv> resolve_python_env(const std::optional<fs::path>& explicit_env)
{
  Result<PythonEnv> env = pick_env(explicit_env);
  if (env) {
    fill_search_dirs(*env);
  }
  return env;
}

namespace {

std::optional<fs::path> explicit_env_of(const nlohmann::json& options)
{
  auto it = options.find("python_env");
  if (it != options.end() && it->is_string() && !it->get<std::string>().empty()) {
    return fs::path(it->get<std::string>());
  }
  return std::nullopt;
}

} // namespace

Result<PythonEnv> resolve_python_env_from_options(const nlohmann::json& options)
{
  return resolve_python_env(explicit_env_of(options));
}

Result<fs::path> python_executable_from_options(const nlohmann::json& options)
{
  Result<PythonEnv> env = pick_env(explicit_env_of(options));
  if (!env) {
    return Failure{env.error()};
  }
  return env->executable;
}

} // namespace mdivicom::inproc
