#include "core/run/scratch_dir.hpp"

#include "core/util/error.hpp"
#include "core/records/scan.hpp"
#include "core/util/tree_remove.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_prefix = "mdivicom-";
constexpr const char* k_lock_name = ".runner.lock";

// mdivicom-<run_id>-XXXXXX, the XXXXXX being what mkdtemp put there.
bool is_scratch_name(const std::string& name)
{
  constexpr size_t k_prefix_size = 9;
  constexpr size_t k_run_id_size = 25; // 20250101T120000Z_0123abcd
  constexpr size_t k_suffix_size = 7;  // -XXXXXX
  if (name.size() != k_prefix_size + k_run_id_size + k_suffix_size || !name.starts_with(k_prefix) ||
      name[k_prefix_size + k_run_id_size] != '-') {
    return false;
  }
  const std::string run_id = name.substr(k_prefix_size, k_run_id_size);
  if (!is_record_file_name(run_id + ".json")) {
    return false;
  }
  for (char c : std::string_view(name).substr(name.size() - 6)) {
    const bool alphanumeric = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alphanumeric) {
      return false;
    }
  }
  return true;
}

// The lock of a scratch dir nobody holds, taken; an empty fd when the runner lives, or when
// the directory has no lock (made by an older mdivicom: `unlocked` says so).
UniqueFd take_abandoned_lock(int parent_fd, const std::string& name, bool& unlocked)
{
  unlocked = false;
  UniqueFd dir(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) {
    return {};
  }
  UniqueFd lock(::openat(dir.get(), k_lock_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!lock) {
    unlocked = errno == ENOENT;
    return {};
  }
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    return {}; // its runner is alive
  }
  return lock;
}

} // namespace

fs::path scratch_parent()
{
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? fs::path(tmp) : fs::path("/tmp");
}

ScratchDir::ScratchDir(const fs::path& parent, const std::string& run_id)
{
  std::string pattern = (parent / (k_prefix + run_id + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw Error("cannot create a scratch directory " + pattern + ": " + std::strerror(errno) + "; check TMPDIR");
  }
  m_path = pattern;
  // Created before anything else is: gc leaves a directory without a lock alone, so it never
  // sees this one unlocked. A lock that cannot be taken only costs gc this directory.
  m_lock.reset(::open((m_path / k_lock_name).c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (m_lock && ::flock(m_lock.get(), LOCK_EX | LOCK_NB) != 0) {
    m_lock.reset();
  }
}

void ScratchDir::remove()
{
  if (m_path.empty()) {
    return;
  }
  std::error_code ignored;
  fs::remove_all(m_path, ignored);
  m_lock.reset(); // after the removal: gc must not take a directory that is still going
  m_path.clear();
}

nlohmann::json ScratchGcReport::to_json() const
{
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& name : kept_unlocked) {
    kept.push_back({{"name", name}, {"reason", "no .runner.lock (made by an older mdivicom): remove it by hand"}});
  }
  return {{"dir", dir.string()},
          {dry_run ? "found" : "removed", removed},
          {"bytes", removed_bytes},
          {"kept", kept},
          {"errors", errors}};
}

ScratchGcReport gc_scratch_dirs(const fs::path& parent, bool dry_run)
{
  ScratchGcReport report;
  report.dir = parent;
  report.dry_run = dry_run;
  UniqueFd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent_fd) {
    if (errno != ENOENT) {
      report.errors.push_back("cannot open " + parent.string() + ": " + std::strerror(errno));
    }
    return report;
  }
  try {
    for (const std::string& name : list_names_at(parent_fd.get(), parent)) {
      struct stat info = {};
      if (!is_scratch_name(name) || ::fstatat(parent_fd.get(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0 ||
          !S_ISDIR(info.st_mode) || info.st_uid != ::geteuid()) {
        continue;
      }
      bool unlocked = false;
      UniqueFd lock = take_abandoned_lock(parent_fd.get(), name, unlocked); // held until removed
      if (unlocked) {
        report.kept_unlocked.push_back(name);
      }
      if (!lock) {
        continue;
      }
      try {
        report.removed_bytes += dry_run ? 0 : remove_tree_at(parent_fd.get(), name, parent / name);
        report.removed.push_back(name);
      } catch (const Error& e) {
        report.errors.emplace_back(e.what());
      }
    }
  } catch (const Error& e) {
    report.errors.emplace_back(e.what());
  }
  return report;
}

} // namespace mdivicom
