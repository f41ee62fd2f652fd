#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom::inproc {

// Where a sandboxed worker may write. Everything else stays readable but not writable.
struct SandboxRules
{
  std::vector<std::filesystem::path> writable_dirs;  // whole hierarchies: create, write, delete
  std::vector<std::filesystem::path> writable_files; // single files, e.g. /dev/null
};

// The rules for one run: the plugin's output dir, its work dir, its temp dir, and the
// harmless character devices programs expect to write to.
SandboxRules run_sandbox_rules(const std::filesystem::path& plugin_out_dir, const std::filesystem::path& work_dir,
                               const std::filesystem::path& tmp_dir);

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
  std::string reason; // why not enforced
};

// Restricts the calling process (and all it starts) to the rules. Irreversible: call it only
// in a worker. Never throws; reports why the rules could not be enforced instead.
SandboxResult enforce_sandbox(const SandboxRules& rules);

// The record form: {kind, enforced, abi, reason?, writable_dirs, writable_files}.
nlohmann::json sandbox_facts(const SandboxRules& rules, const SandboxResult& result);

} // namespace mdivicom::inproc
