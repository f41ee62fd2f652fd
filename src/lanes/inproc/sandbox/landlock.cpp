#include "lanes/inproc/sandbox/landlock.hpp"
#include "lanes/inproc/sandbox/opt_out.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mdivicom::inproc {

namespace fs = std::filesystem;

namespace {

// The distribution's kernel headers may predate these; the values are kernel ABI.
constexpr std::uint64_t k_access_truncate = 1ULL << 14;    // ABI 3
constexpr std::uint64_t k_access_ioctl_dev = 1ULL << 15;   // ABI 5
constexpr std::uint64_t k_scope_abstract_unix = 1ULL << 0; // ABI 6
constexpr std::uint64_t k_scope_signal = 1ULL << 1;        // ABI 6

// The attribute grew over ABIs; the kernel learns which fields we know from the size passed.
struct RulesetAttr
{
  std::uint64_t handled_access_fs = 0;
  std::uint64_t handled_access_net = 0; // ABI 4
  std::uint64_t scoped = 0;             // ABI 6
};

constexpr std::uint64_t k_write_rights_v1 = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                                            LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
                                            LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                                            LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                                            LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;

// Every right that changes the file system; reads and execution stay unrestricted.
std::uint64_t write_rights(int abi)
{
  std::uint64_t rights = k_write_rights_v1;
  if (abi >= 2) {
    rights |= LANDLOCK_ACCESS_FS_REFER;
  }
  if (abi >= 3) {
    rights |= k_access_truncate;
  }
  return rights;
}

// What the ruleset restricts: writes, and from ABI 5 on, ioctl on devices (a plugin could
// otherwise push input into a terminal with TIOCSTI). No rule grants the ioctl right back.
std::uint64_t handled_rights(int abi)
{
  return write_rights(abi) | (abi >= 5 ? k_access_ioctl_dev : 0);
}

std::uint64_t file_write_rights(int abi)
{
  return LANDLOCK_ACCESS_FS_WRITE_FILE | (abi >= 3 ? k_access_truncate : 0);
}

std::string errno_text(const char* what)
{
  return std::string(what) + ": " + std::strerror(errno);
}

bool add_rule(int ruleset, const fs::path& path, std::uint64_t rights, std::string& problem)
{
  int fd = open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR || errno == ENXIO) {
      return true; // nothing there to allow (e.g. no /dev/tty in a container)
    }
    problem = errno_text(path.c_str());
    return false;
  }
  landlock_path_beneath_attr rule = {};
  rule.allowed_access = rights;
  rule.parent_fd = fd;
  long rc = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
  int saved = errno;
  close(fd);
  errno = saved;
  if (rc != 0) {
    problem = errno_text(("landlock_add_rule " + path.string()).c_str());
    return false;
  }
  return true;
}

} // namespace

nlohmann::json rules_to_json(const SandboxRules& rules)
{
  nlohmann::json json = {{"writable_dirs", nlohmann::json::array()}, {"writable_files", nlohmann::json::array()}};
  for (const auto& dir : rules.writable_dirs) {
    json["writable_dirs"].push_back(dir.string());
  }
  for (const auto& file : rules.writable_files) {
    json["writable_files"].push_back(file.string());
  }
  if (!rules.note.empty()) {
    json["note"] = rules.note;
  }
  return json;
}

SandboxRules rules_from_json(const nlohmann::json& json)
{
  SandboxRules rules;
  for (const auto& dir : json.value("writable_dirs", nlohmann::json::array())) {
    rules.writable_dirs.emplace_back(dir.get<std::string>());
  }
  for (const auto& file : json.value("writable_files", nlohmann::json::array())) {
    rules.writable_files.emplace_back(file.get<std::string>());
  }
  rules.note = json.value("note", std::string());
  return rules;
}

LandlockSupport landlock_support()
{
  if (opted_out("MDIVICOM_LANDLOCK")) {
    return {0, "disabled by MDIVICOM_LANDLOCK=off; unset MDIVICOM_LANDLOCK to enforce the sandbox"};
  }
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi > 0) {
    return {static_cast<int>(abi), ""};
  }
  if (errno == EOPNOTSUPP) {
    return {0, "Landlock is built into the kernel but not enabled; add 'landlock' to the lsm= "
               "kernel boot parameter"};
  }
  if (errno == ENOSYS) {
    return {0, "the kernel has no Landlock support; use Linux 5.13 or newer built with "
               "CONFIG_SECURITY_LANDLOCK"};
  }
  return {0, errno_text("landlock_create_ruleset")};
}

SandboxResult enforce_sandbox(const SandboxRules& rules)
{
  LandlockSupport support = landlock_support();
  if (support.abi == 0) {
    return SandboxResult::not_enforced(0, support.reason);
  }
  int abi = support.abi;
  RulesetAttr attr;
  attr.handled_access_fs = handled_rights(abi);
  size_t attr_size = sizeof(std::uint64_t);
  if (abi >= 6) {
    // A plugin may signal the processes it started, but not mdivicom or anything else; nor
    // connect to abstract unix sockets outside the sandbox (an X server's, for one).
    attr.scoped = k_scope_signal | k_scope_abstract_unix;
    attr_size = sizeof(RulesetAttr);
  }
  int ruleset = static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0));
  if (ruleset < 0) {
    return SandboxResult::not_enforced(abi, errno_text("landlock_create_ruleset"));
  }
  // A path that cannot be allowed stays read-only, like everything else: the sandbox is kept,
  // and the plugin's writes there fail (the record names the path).
  SandboxResult result;
  result.enforced = true;
  result.abi = abi;
  result.devices_guarded = abi >= 5;
  std::string problem;
  // Device nodes may be made nowhere, not even in the writable dirs (which are nodev as well).
  const std::uint64_t dir_rights = write_rights(abi) & ~(LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK);
  for (const auto& dir : rules.writable_dirs) {
    if (!add_rule(ruleset, dir, dir_rights, problem)) {
      result.unusable.push_back(problem);
    }
  }
  for (const auto& file : rules.writable_files) {
    if (!add_rule(ruleset, file, file_write_rights(abi), problem)) {
      result.unusable.push_back(problem);
    }
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    result = SandboxResult::not_enforced(abi, errno_text("prctl(PR_SET_NO_NEW_PRIVS)"));
  } else if (syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
    result = SandboxResult::not_enforced(abi, errno_text("landlock_restrict_self"));
  }
  close(ruleset);
  return result;
}

nlohmann::json sandbox_facts(const SandboxRules& rules, const SandboxResult& result)
{
  nlohmann::json facts = rules_to_json(rules);
  facts["kind"] = "landlock";
  facts["enforced"] = result.enforced;
  facts["abi"] = result.abi;
  facts["signals_scoped"] = result.enforced && result.abi >= 6;
  facts["devices_guarded"] = result.enforced && result.devices_guarded;
  if (!result.reason.empty()) {
    facts["reason"] = result.reason;
  }
  if (!result.unusable.empty()) {
    facts["unusable"] = result.unusable;
  }
  return facts;
}

} // namespace mdivicom::inproc
