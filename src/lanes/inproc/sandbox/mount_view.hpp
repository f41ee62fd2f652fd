#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// What the plugin sees of the file system, set up in the worker's private mount namespace
// (namespaces.hpp) once its job has arrived (built into mdivicom-python-worker; no dependency
// on core). Read-only by construction: every mount is made read-only except the writable
// dirs, rather than a list of denials that misses metadata (chmod, utime, xattrs).
namespace mdivicom::inproc {

struct MountRules
{
  std::vector<std::filesystem::path> writable_dirs; // bound onto themselves, writable, nosuid, nodev
  std::vector<std::filesystem::path> visible;       // never hidden (the dataset, sys.path entries)
  bool private_shm = true;                          // a fresh /dev/shm of the run's own
};

struct MountViewResult
{
  bool enforced = false;
  std::string reason;                // why not enforced
  std::vector<std::string> hidden;   // credential stores and engine/agent sockets, covered
  std::vector<std::string> exposed;  // left visible on purpose (MDIVICOM_SANDBOX_EXPOSE, or holding the dataset)
  std::vector<std::string> problems; // mounts that could not be made read-only (gone, or not ours)
  bool private_proc = false;         // /proc shows the namespace's processes only
  bool private_shm = false;
};

// The paths hidden by default (whatever exists of them): credential stores in the user's home,
// the user's runtime dir and container engines' sockets. Paths in MDIVICOM_SANDBOX_EXPOSE
// (colon-separated) are left visible.
std::vector<std::filesystem::path> default_hidden_paths();

// Must run in a private mount namespace, with CAP_SYS_ADMIN there. Never throws.
MountViewResult lock_down_mounts(const MountRules& rules);

// Drops every capability (bounding set, ambient, permitted, effective): root in the sandbox is
// an ordinary user of its files. Empty on success, else what failed.
std::string drop_capabilities();

nlohmann::json mount_view_facts(const MountViewResult& result);

} // namespace mdivicom::inproc
