// mdivicom-python-worker: the process that embeds CPython for mdivicom's in-process lane. The
// lane starts it (python_worker.cpp) with posix_spawn: a fresh process loads libpython faster
// than a fork of mdivicom can, and mdivicom's memory is not made copy-on-write. Not for users:
//
//   mdivicom-python-worker <parent pid> <python executable> <bootstrap function> buffered|unbuffered
//
// Descriptors: 0 /dev/null, 1 stdout, 2 stderr, 3 the report pipe, 4 the job socket. The job
// (CBOR, until end of file) is {"params": {...}, "sandbox"?: {writable_dirs, writable_files,
// note?}}; it is read once the interpreter's core has started, and the sandbox is applied
// before anything from site-packages or the plugin runs.
#include "core/util/fd_write.hpp"
#include "lanes/inproc/sandbox/landlock.hpp"
#include "lanes/inproc/sandbox/mount_view.hpp"
#include "lanes/inproc/sandbox/namespaces.hpp"
#include "lanes/inproc/python/embedded_python.hpp"
#include "lanes/inproc/python/startup_memory.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace mdivicom::inproc;

constexpr int k_usage = 64;           // EX_USAGE
constexpr int k_orphaned = 127;       // the parent died before the worker could tie itself to it
constexpr int k_sandbox_refused = 78; // EX_CONFIG: no namespaces, and the user did not opt out
constexpr int k_report_fd = 3;
constexpr int k_job_fd = 4;
// What the interpreter's start allocates from malloc, about (startup_memory.hpp).
constexpr std::size_t k_startup_heap = std::size_t{1024} * 1024;

// Everything until end of file; empty when the parent went away without sending a job.
std::vector<std::uint8_t> read_all(int fd)
{
  std::vector<std::uint8_t> bytes;
  char buffer[65536];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return bytes;
    }
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
}

std::vector<pid_t> list_children()
{
  std::vector<pid_t> children;
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", error)) {
    int file = open((task.path() / "children").c_str(), O_RDONLY | O_CLOEXEC);
    if (file < 0) {
      continue;
    }
    std::vector<std::uint8_t> bytes = read_all(file);
    close(file);
    const std::string text(bytes.begin(), bytes.end());
    const char* cursor = text.c_str();
    char* end = nullptr;
    for (long pid = std::strtol(cursor, &end, 10); end != cursor; pid = std::strtol(cursor, &end, 10)) {
      children.push_back(static_cast<pid_t>(pid));
      cursor = end;
    }
  }
  return children;
}

// What the plugin left running once its interpreter has finalized: its children (a daemon, a
// Popen never waited for, in a session of its own) and, the worker being their subreaper,
// the orphans of its grandchildren. Killed and reaped, round after round until none is left
// (bounded: a fork bomb is not chased for ever). Returns how many were still running.
int end_leftover_processes()
{
  int running = 0;
  for (int round = 0; round < 100; ++round) {
    std::vector<pid_t> children = list_children();
    if (children.empty()) {
      break;
    }
    for (pid_t pid : children) {
      siginfo_t info = {};
      waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
      running += info.si_pid == 0 ? 1 : 0; // not a zombie yet
      kill(pid, SIGKILL);
    }
    for (pid_t pid : children) {
      while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
  return running;
}

Namespaces g_namespaces;

// What stays in sight however the defaults hide: the dataset, the writable dirs, sys.path.
std::vector<std::filesystem::path> visible_paths(const nlohmann::json& params, const SandboxRules& rules)
{
  std::vector<std::filesystem::path> paths(rules.writable_dirs.begin(), rules.writable_dirs.end());
  const nlohmann::json kwargs = params.value("kwargs", nlohmann::json::object());
  if (kwargs.contains("dataset_dir") && kwargs["dataset_dir"].is_string()) {
    paths.emplace_back(kwargs["dataset_dir"].get<std::string>());
  }
  for (const auto& entry : params.value("sys_path_prepend", nlohmann::json::array())) {
    if (entry.is_string()) {
      paths.emplace_back(entry.get<std::string>());
    }
  }
  return paths;
}

// The layers, outermost first: a read-only view of the file system in the worker's own
// namespaces, no capabilities, then Landlock. Refuses (exits) when the namespaces could not be
// made and the user did not opt out with MDIVICOM_SANDBOX=off. What was applied goes to mdivicom
// as the "sandbox" event on the report fd.
void apply_sandbox(const nlohmann::json& params, const SandboxRules& rules)
{
  MountViewResult view;
  if (g_namespaces.entered) {
    const bool shm_writable = std::find(rules.writable_dirs.begin(), rules.writable_dirs.end(),
                                        std::filesystem::path("/dev/shm")) != rules.writable_dirs.end();
    MountRules mounts{rules.writable_dirs, visible_paths(params, rules), shm_writable};
    view = lock_down_mounts(mounts);
  } else {
    view.reason = g_namespaces.reason;
  }
  const bool opted_out = sandbox_disabled_by_user();
  std::string capabilities = drop_capabilities();
  SandboxResult landlock = enforce_sandbox(rules);
  nlohmann::json facts = sandbox_facts(rules, landlock);
  facts["mounts"] = mount_view_facts(view);
  facts["mounts"]["user_namespace"] = g_namespaces.user_namespace;
  facts["capabilities_dropped"] = capabilities.empty();
  if (!capabilities.empty()) {
    facts["capabilities_problem"] = capabilities;
  }
  if (!view.enforced && opted_out) {
    facts["mounts"]["opted_out"] = true;
  }
  const bool refused = !view.enforced && !opted_out;
  if (refused) {
    facts["refused"] = true;
  }
  nlohmann::json event = {{"event", "sandbox"}, {"facts", std::move(facts)}};
  // A lane that is gone has nobody left to tell; the worker carries on to its end.
  (void)mdivicom::write_all(k_report_fd, event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  if (refused) {
    _exit(k_sandbox_refused); // nothing of the environment or the plugin has run
  }
}

// Before any code of the environment or the plugin: the sandbox, then the bootstrap's params.
std::optional<nlohmann::json> receive_job()
{
  auto job = nlohmann::json::from_cbor(read_all(k_job_fd), true, false);
  close(k_job_fd);
  if (job.is_discarded() || !job.is_object() || !job.contains("params")) {
    return std::nullopt; // mdivicom gave up on the run before it started
  }
  nlohmann::json params = std::move(job["params"]);
  if (job.contains("sandbox")) {
    apply_sandbox(params, rules_from_json(job["sandbox"]));
  }
  params["report_fd"] = k_report_fd;
  return params;
}

} // namespace

// Read by AddressSanitizer in -DMDIVICOM_SANITIZE=ON builds (and nowhere else): a plugin's
// crash must reach Python's faulthandler and end the worker by its signal, as it does without
// the sanitizer. What libpython keeps to the end on purpose is in LeakSanitizer's suppressions
// (cmake/lsan-libpython.supp); leaks of the worker's own code are reported.
extern "C" const char* __asan_default_options() // NOLINT(bugprone-reserved-identifier): its name
{
  return "handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_abort=0";
}

int main(int argc, char** argv)
{
  if (argc != 5 || (std::string_view(argv[4]) != "buffered" && std::string_view(argv[4]) != "unbuffered")) {
    std::fprintf(stderr, "mdivicom-python-worker is started by mdivicom, not by hand\n");
    return k_usage;
  }
  // The worker must not outlive mdivicom, even when mdivicom is SIGKILLed.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != static_cast<pid_t>(std::strtol(argv[1], nullptr, 10))) {
    return k_orphaned;
  }
  // Nothing of the parent's (sockets, lock files) leaks into the plugin.
  close_range(k_job_fd + 1, ~0U, 0);
  // Only the interpreter's process returns from here (PID 2 of a namespace of its own).
  g_namespaces = enter_namespaces();
  // The plugin's orphaned descendants come to the worker, which ends them (see below).
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  populate_writable_images();
  populate_malloc_heap(k_startup_heap);
  InterpreterOptions options{argv[2], std::string_view(argv[4]) == "unbuffered"};
  int code = run_embedded_python(options, argv[3], receive_job);
  if (int count = end_leftover_processes(); count > 0) {
    (void)mdivicom::write_all(k_report_fd,
                              nlohmann::json({{"event", "leftover_processes"}, {"count", count}}).dump() + "\n");
  }
  return code;
}
