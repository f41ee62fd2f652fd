#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom::inproc {

// Landlock, for the Python worker (built into mdivicom-python-worker too: no dependency on
// core). Where a sandboxed worker may write. Everything else stays readable but not writable.
struct SandboxRules
{
  std::vector<std::filesystem::path> writable_dirs;  // whole hierarchies: create, write, delete
  std::vector<std::filesystem::path> writable_files; // single files, e.g. /dev/null
  std::string note;                                  // what was left out on purpose, and why
};

// The job form of the rules, and back (for the worker).
nlohmann::json rules_to_json(const SandboxRules& rules);
SandboxRules rules_from_json(const nlohmann::json& json);

struct LandlockSupport
{
  int abi = 0;        // 0 when unavailable
  std::string reason; // why unavailable, with the fix
};

// Asks the kernel which Landlock ABI it supports. MDIVICOM_LANDLOCK=off disables it on purpose.
LandlockSupport landlock_support();

struct SandboxResult
{
  bool enforced = false;
  int abi = 0;
  std::string reason;                // why not enforced
  std::vector<std::string> unusable; // writable paths that could not be opened: left read-only
  bool devices_guarded = false;      // ioctl on devices is denied (ABI 5 and later)

  static SandboxResult not_enforced(int abi, std::string reason)
  {
    SandboxResult result;
    result.abi = abi;
    result.reason = std::move(reason);
    return result;
  }
};

// Restricts the calling process (and all it starts) to the rules. Irreversible: call it only
// in a worker. Never throws; reports why the rules could not be enforced instead.
SandboxResult enforce_sandbox(const SandboxRules& rules);

// The record form: {kind, enforced, abi, signals_scoped, devices_guarded, reason?, unusable?,
// writable_dirs, writable_files}.
nlohmann::json sandbox_facts(const SandboxRules& rules, const SandboxResult& result);

} // namespace mdivicom::inproc
