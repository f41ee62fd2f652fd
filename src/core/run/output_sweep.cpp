#include "core/run/output_sweep.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "core/run/outcome_error.hpp"
#include "core/util/dir_handle.hpp"

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

std::string octal(mode_t mode)
{
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

const char* kind_of(mode_t mode)
{
  switch (mode & S_IFMT) {
  case S_IFSOCK: return "socket";
  case S_IFIFO: return "FIFO";
  case S_IFBLK: return "block device";
  case S_IFCHR: return "character device";
  default: return nullptr;
  }
}

class Sweep
{
public:
  nlohmann::json report()
  {
    return {{"stripped", m_stripped},
            {"removed", m_removed},
            {"failed", m_failed},
            {"stripped_count", m_counts[0]},
            {"removed_count", m_counts[1]},
            {"failed_count", m_counts[2]},
            {"restricted_to_owner", m_restricted}};
  }

  void root(const fs::path& root)
  {
    // The root as the engine or the sandbox bound it (a link to it followed); nothing below it
    // is. A root that cannot be opened as a directory (gone, a link loop, a file) could not be
    // bound or written to either.
    const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR) {
        failed(root, errno);
      }
      return;
    }
    directory(fd, root);
    if (m_counts[2] > 0) {
      // What could not be checked is kept from everyone else: a setuid program below it cannot
      // be reached by another user.
      if (::chmod(root.c_str(), S_IRWXU) == 0) {
        m_restricted = true;
      }
    }
  }

  // Sweeps the entries of the open directory `dir` (at `path`); takes ownership of `fd`.
  void directory(int fd, const fs::path& path)
  {
    DirHandle dir(::fdopendir(fd));
    if (!dir) {
      ::close(fd);
      failed(path, errno);
      return;
    }
    std::vector<std::string> subdirs; // walked after the listing: one open stream per level
    errno = 0;
    while (const dirent* entry = ::readdir(dir.get())) {
      const std::string name = entry->d_name;
      if (name == "." || name == ".." || entry->d_type == DT_LNK) {
        continue;
      }
      if (entry->d_type == DT_DIR) {
        subdirs.push_back(name);
        continue;
      }
      struct stat info = {};
      if (::fstatat(::dirfd(dir.get()), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
        failed(path / name, errno);
      } else if (S_ISDIR(info.st_mode)) {
        subdirs.push_back(name);
      } else {
        file(::dirfd(dir.get()), name, path / name, info.st_mode);
      }
      errno = 0;
    }
    if (errno != 0) {
      failed(path, errno);
    }
    for (const auto& name : subdirs) {
      const int child = ::openat(::dirfd(dir.get()), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child < 0) {
        failed(path / name, errno);
      } else {
        directory(child, path / name);
      }
    }
  }

private:
  void file(int dir, const std::string& name, const fs::path& path, mode_t mode)
  {
    if (const char* kind = kind_of(mode)) {
      if (::unlinkat(dir, name.c_str(), 0) != 0) {
        failed(path, errno);
        return;
      }
      add(m_removed, 1, {{"path", path.string()}, {"type", kind}});
    } else if (S_ISREG(mode) && (mode & (S_ISUID | S_ISGID)) != 0) {
      const mode_t kept = mode & 07777 & ~mode_t{S_ISUID | S_ISGID};
      // Follows a link, but the entry was lstat()ed a regular file and no container process is left.
      if (::fchmodat(dir, name.c_str(), kept, 0) != 0) {
        failed(path, errno);
        return;
      }
      add(m_stripped, 0, {{"path", path.string()}, {"mode_before", octal(mode)}, {"mode_after", octal(kept)}});
    }
  }

  void failed(const fs::path& path, int error)
  {
    add(m_failed, 2, {{"path", path.string()}, {"error", std::strerror(error)}});
  }

  void add(nlohmann::json& list, int counter, nlohmann::json item)
  {
    if (list.size() < k_max_swept_listed) {
      list.push_back(std::move(item));
    }
    ++m_counts[counter];
  }

  nlohmann::json m_stripped = nlohmann::json::array();
  nlohmann::json m_removed = nlohmann::json::array();
  nlohmann::json m_failed = nlohmann::json::array();
  std::size_t m_counts[3] = {0, 0, 0};
  bool m_restricted = false;
};

} // namespace

nlohmann::json sweep_writable(const fs::path& root)
{
  Sweep sweep;
  sweep.root(root);
  return sweep.report();
}

void sweep_writable_binds(const RunRequest& request, RunOutcome& outcome, nlohmann::json& facts)
{
  nlohmann::json sweep = nlohmann::json::object();
  std::size_t failed = 0;
  for (const auto& [role, dir] : {std::pair{"out", request.plugin_out_dir}, std::pair{"work", request.work_dir}}) {
    nlohmann::json report = sweep_writable(dir);
    for (const auto& item : report["stripped"]) {
      spdlog::warn("the plugin left {} with mode {}: setuid/setgid bits taken off (now {})", item["path"].dump(),
                   item["mode_before"].get<std::string>(), item["mode_after"].get<std::string>());
    }
    for (const auto& item : report["removed"]) {
      spdlog::warn("the plugin left a {} at {}: removed", item["type"].get<std::string>(), item["path"].dump());
    }
    failed += report["failed_count"].get<std::size_t>();
    sweep[role] = std::move(report);
  }
  facts["output_sweep"] = sweep;
  if (failed > 0) {
    const nlohmann::json& first =
        sweep["out"]["failed_count"] > 0 ? sweep["out"]["failed"][0] : sweep["work"]["failed"][0];
    const std::string message = "the plugin's outputs could not all be checked for setuid programs and device "
                                "nodes (" +
                                first["path"].get<std::string>() + ": " + first["error"].get<std::string>() +
                                "); their directory was made readable to its owner only: inspect it, then remove "
                                "what you do not trust";
    spdlog::error("{}", message);
    if (outcome.status == RunStatus::succeeded) {
      outcome.status = RunStatus::failed;
      outcome.error = run_error(RunError::unsafe_outputs, message);
    }
  }
}

} // namespace mdivicom
