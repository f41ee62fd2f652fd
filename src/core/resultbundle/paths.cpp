#include "core/resultbundle/paths.hpp"

#include <cstdlib>
#include <map>
#include <optional>
#include <system_error>
#include <vector>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom::resultbundle {

namespace {

std::optional<std::string> home_of(const std::string& user)
{
  if (user.empty()) {
    if (const char* home = std::getenv("HOME"); home != nullptr) {
      return std::string(home);
    }
  }
  std::vector<char> buffer(16384);
  struct passwd entry
  {};
  struct passwd* found = nullptr;
  const int rc = user.empty() ? ::getpwuid_r(::getuid(), &entry, buffer.data(), buffer.size(), &found)
                              : ::getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (rc != 0 || found == nullptr || found->pw_dir == nullptr) {
    return std::nullopt;
  }
  return std::string(found->pw_dir);
}

std::string join(const std::string& base, const std::string& name)
{
  return base.empty() || base.back() == '/' ? base + name : base + "/" + name;
}

std::string parent_of(const std::string& path)
{
  const size_t slash = path.find_last_of('/');
  return slash == 0 || slash == std::string::npos ? std::string("/") : path.substr(0, slash);
}

struct LoopFound
{
  std::string path;
};

// posixpath._joinrealpath on an absolute `path`; `seen` maps links being (or already) resolved.
std::string join_real_path(std::string path, std::string rest, std::map<std::string, std::optional<std::string>>& seen)
{
  if (!rest.empty() && rest.front() == '/') {
    path.assign(1, '/'); // not `= "/"`: GCC 12 at -O3 warns (-Wrestrict, a false positive)
  }
  size_t pos = 0;
  while (pos < rest.size()) {
    size_t slash = rest.find('/', pos);
    if (slash == std::string::npos) {
      slash = rest.size();
    }
    const std::string name = rest.substr(pos, slash - pos);
    pos = slash + 1;
    if (name.empty() || name == ".") {
      continue;
    }
    if (name == "..") {
      path = parent_of(path);
      continue;
    }
    const std::string candidate = join(path, name);
    struct stat info
    {};
    if (::lstat(candidate.c_str(), &info) != 0 || !S_ISLNK(info.st_mode)) {
      path = candidate;
      continue;
    }
    if (auto known = seen.find(candidate); known != seen.end()) {
      if (!known->second) {
        throw LoopFound{candidate};
      }
      path = *known->second;
      continue;
    }
    std::string target(static_cast<size_t>(info.st_size > 0 ? info.st_size : 4096) + 1, '\0');
    const ssize_t length = ::readlink(candidate.c_str(), target.data(), target.size());
    if (length < 0) { // vanished or changed under us: treat it as a plain name
      path = candidate;
      continue;
    }
    target.resize(static_cast<size_t>(length));
    seen[candidate] = std::nullopt;
    path = join_real_path(path, target, seen);
    seen[candidate] = path;
  }
  return path;
}

} // namespace

Result<std::string> expand_user(const std::string& text)
{
  if (text.empty() || text.front() != '~') {
    return text;
  }
  const size_t slash = text.find('/');
  const std::string user = text.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
  auto home = home_of(user);
  if (!home) {
    return Failure{"Could not determine home directory for '" + text.substr(0, slash) + "'"};
  }
  std::string rest = slash == std::string::npos ? std::string() : text.substr(slash);
  while (!home->empty() && home->back() == '/' && home->size() > 1) {
    home->pop_back();
  }
  std::string expanded = *home == "/" && !rest.empty() ? rest : *home + rest;
  return expanded.empty() ? std::string("/") : expanded;
}

Result<std::filesystem::path> python_resolve(const std::filesystem::path& path)
{
  std::string text = path.string();
  if (text.empty() || text.front() != '/') {
    std::error_code error;
    const auto cwd = std::filesystem::current_path(error);
    if (error) {
      return Failure{"cannot resolve " + text + ": the working directory is unavailable (" + error.message() + ")"};
    }
    text = join(cwd.string(), text);
  }
  std::map<std::string, std::optional<std::string>> seen;
  try {
    return std::filesystem::path(join_real_path("/", text, seen));
  } catch (const LoopFound& loop) {
    return Failure{"Symlink loop from '" + loop.path + "'"};
  }
}

Result<std::filesystem::path> expand_and_resolve(const std::string& text)
{
  auto expanded = expand_user(text);
  if (!expanded) {
    return Failure{expanded.error()};
  }
  return python_resolve(*expanded);
}

bool is_within(const std::filesystem::path& path, const std::filesystem::path& root)
{
  auto path_it = path.begin();
  for (auto root_it = root.begin(); root_it != root.end(); ++root_it, ++path_it) {
    if (path_it == path.end() || *path_it != *root_it) {
      return false;
    }
  }
  return true;
}

bool path_exists(const std::filesystem::path& path)
{
  struct stat info
  {};
  return ::stat(path.c_str(), &info) == 0;
}

} // namespace mdivicom::resultbundle
