// The Python lane's sandbox beyond Landlock: a read-only view of the file system in namespaces of
// the worker's own, no capabilities, hidden credential stores and sockets, no process that
// outlives the runner. Real runs, as root and as an ordinary user.

#include <catch2/catch.hpp>

#include "cli_workspace.hpp"
#include "inproc_support.hpp"
#include "support/process.hpp"

#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

using namespace mdivicom;
using namespace mdivicom::test;
namespace fs = std::filesystem;

namespace {

// Everything of a file that a plugin must not change: mode, owner, times, extended attributes.
std::string metadata(const fs::path& path)
{
  struct stat info = {};
  REQUIRE(lstat(path.c_str(), &info) == 0);
  char names[4096] = {};
  ssize_t size = llistxattr(path.c_str(), names, sizeof names);
  return std::to_string(info.st_mode) + " " + std::to_string(info.st_uid) + ":" + std::to_string(info.st_gid) + " " +
         std::to_string(info.st_mtim.tv_sec) + "." + std::to_string(info.st_mtim.tv_nsec) + " " +
         std::to_string(info.st_ctim.tv_sec) + "." + std::to_string(info.st_ctim.tv_nsec) + " " +
         std::string(names, size > 0 ? static_cast<size_t>(size) : 0);
}

const char* k_metadata_plugin = R"(
import errno, os, stat
def attempt(label, action):
    try:
        action()
        print(label, "done")
    except OSError as error:
        print(label, "denied" if error.errno in (errno.EACCES, errno.EPERM) else errno.errorcode[error.errno])
def run(dataset_dir, out_dir, config, **kwargs):
    target = os.path.join(dataset_dir, "data", "readme.txt")
    attempt("chmod", lambda: os.chmod(target, 0o777))
    attempt("chmod-root", lambda: os.chmod(dataset_dir, 0o777))
    attempt("chown", lambda: os.chown(target, os.getuid(), os.getgid()))
    attempt("utime", lambda: os.utime(target, (0, 0)))
    attempt("setxattr", lambda: os.setxattr(target, "user.mdivicom", b"x"))
    attempt("chmod-out-root", lambda: os.chmod(os.path.dirname(out_dir), 0o777))
    attempt("mknod", lambda: os.mknod(os.path.join(out_dir, "disk"), 0o600 | stat.S_IFBLK, os.makedev(7, 0)))
    attempt("write-out", lambda: open(os.path.join(out_dir, "result.txt"), "w").write("ok"))
)";

const char* k_metadata_expected = "chmod EROFS\nchmod-root EROFS\nchown EROFS\nutime EROFS\nsetxattr EROFS\n"
                                  "chmod-out-root EROFS\nmknod denied\nwrite-out done\n";

// A listening unix socket at `path`, as an engine or agent would have.
int listen_on(const fs::path& path)
{
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(listen(fd, 1) == 0);
  return fd;
}

} // namespace

TEST_CASE("a sandboxed plugin changes no metadata of the dataset or the runner's dirs and makes no device",
          "[inproc][sandbox]")
{
  PythonSandbox sandbox;
  LaneRun run(k_metadata_plugin);
  const std::string file_before = metadata(run.dataset / "data" / "readme.txt");
  const std::string root_before = metadata(run.dataset);
  const std::string out_root_before = metadata(run.out_root);
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  INFO(sink.err_text);
  CHECK(to_string(outcome.status) == "succeeded");
  CHECK(sink.out_text == k_metadata_expected);
  CHECK(metadata(run.dataset / "data" / "readme.txt") == file_before);
  CHECK(metadata(run.dataset) == root_before);
  CHECK(metadata(run.out_root) == out_root_before);
  CHECK_FALSE(fs::exists(run.request.plugin_out_dir / "disk"));
  const auto& facts = outcome.facts["sandbox"];
  CHECK(facts["mounts"]["enforced"] == true);
  CHECK(facts["mounts"]["private_proc"] == true);
  CHECK(facts["capabilities_dropped"] == true);
}

TEST_CASE("a plugin sees its own processes only and a private /dev/shm", "[inproc][sandbox]")
{
  PythonSandbox sandbox;
  LaneRun run(R"(
import os
def run(dataset_dir, out_dir, config, **kwargs):
    print(os.getpid(), sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
    open("/dev/shm/mdivicom-test", "w").write("private")
)");
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  INFO(sink.err_text);
  CHECK(to_string(outcome.status) == "succeeded");
  CHECK(sink.out_text == "2 [1, 2]\n");
  CHECK_FALSE(fs::exists("/dev/shm/mdivicom-test"));
}

TEST_CASE("credential stores and agent sockets are hidden from a plugin unless exposed", "[inproc][sandbox]")
{
  PythonSandbox sandbox;
  const fs::path home = sandbox / "home";
  write_file(home / ".ssh" / "id_ed25519", "PRIVATE KEY\n");
  write_file(home / ".netrc", "machine example.org password hunter2\n");
  const fs::path runtime = sandbox / "runtime";
  fs::create_directories(runtime);
  int agent = listen_on(runtime / "agent.sock");
  LaneRun run(R"(
import errno, os, socket
def attempt(label, action):
    try:
        print(label, repr(action()))
    except OSError as error:
        print(label, errno.errorcode[error.errno])
def run(dataset_dir, out_dir, config, **kwargs):
    home = os.environ["HOME"]
    attempt(".ssh", lambda: os.listdir(os.path.join(home, ".ssh")))
    attempt(".netrc", lambda: open(os.path.join(home, ".netrc")).read())
    def connect():
        with socket.socket(socket.AF_UNIX) as agent:
            agent.connect(os.path.join(os.environ["XDG_RUNTIME_DIR"], "agent.sock"))
            return "connected"
    attempt("agent", connect)
)");
  SECTION("hidden by default")
  {
    ScopedEnv env(EnvValues{{"HOME", home.string()}, {"XDG_RUNTIME_DIR", runtime.string()}});
    CapturingSink sink;
    RunOutcome outcome = execute(run.request, sink);
    INFO(sink.err_text);
    CHECK(to_string(outcome.status) == "succeeded");
    CHECK(sink.out_text == ".ssh EACCES\n.netrc ''\nagent EACCES\n");
    const auto hidden = outcome.facts["sandbox"]["mounts"]["hidden"];
    CHECK(std::find(hidden.begin(), hidden.end(), (home / ".ssh").string()) != hidden.end());
    CHECK(std::find(hidden.begin(), hidden.end(), runtime.string()) != hidden.end());
  }
  SECTION("MDIVICOM_SANDBOX_EXPOSE leaves a path visible, and the record says so")
  {
    ScopedEnv env(EnvValues{{"HOME", home.string()},
                            {"XDG_RUNTIME_DIR", runtime.string()},
                            {"MDIVICOM_SANDBOX_EXPOSE", (home / ".netrc").string()}});
    CapturingSink sink;
    RunOutcome outcome = execute(run.request, sink);
    INFO(sink.err_text);
    CHECK(sink.out_text == ".ssh EACCES\n.netrc 'machine example.org password hunter2\\n'\nagent EACCES\n");
    CHECK(outcome.facts["sandbox"]["mounts"]["exposed"] == nlohmann::json::array({(home / ".netrc").string()}));
  }
  close(agent);
}

TEST_CASE("no process of a plugin outlives a runner killed with SIGKILL", "[inproc][sandbox][cli]")
{
  // A daemon in a session of its own escapes any process group; the PID namespace's end takes
  // it along when the worker dies with mdivicom.
  const std::string marker = "300." + std::to_string(getpid());
  CliWorkspace workspace(R"(
import subprocess, time
def run(dataset_dir, out_dir, config, **kwargs):
    subprocess.Popen(["sleep", ")" +
                         marker + R"("], start_new_session=True)
    print("started", flush=True)
    time.sleep(300)
)");
  workspace.options.interrupt_signal = SIGKILL;
  workspace.options.interrupt_when = [&](int, const CommandResult& so_far) {
    return so_far.out.find("started") != std::string::npos && !processes_running({"sleep", marker}).empty();
  };
  CliRun run = workspace.run();
  INFO(run.cli.err);
  CHECK(run.cli.signal == SIGKILL);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!processes_running({"sleep", marker}).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(processes_running({"sleep", marker}).empty());
}

TEST_CASE("discovery's get_plugin() runs sandboxed: registration code cannot write", "[inproc][sandbox][cli]")
{
  CliWorkspace workspace("");
  const fs::path marker = workspace.root / "written-at-import.txt";
  write_file(workspace.plugin_root / "cli_mod.py", "try:\n    open(" + nlohmann::json(marker.string()).dump() +
                                                       ", 'w').write('unconfined')\nexcept OSError:\n    pass\n" +
                                                       get_plugin_source("cli-test", "cli_mod:run") +
                                                       "def run(**kwargs):\n    pass\n");
  CommandResult listing = run_mdivicom({"plugins", "list"}, workspace.options);
  INFO(listing.err);
  CHECK(listing.exit_code == 0);
  CHECK(listing.out.find("cli-test\tpython") != std::string::npos);
  CHECK_FALSE(fs::exists(marker));
}

namespace {

// Runs argv[1:] as uid and gid 1000 in a user namespace of its own where no further user
// namespace may be made (user.max_user_namespaces is 0 there): a machine that disallows them.
const char* k_without_user_namespaces = R"(
import ctypes, os, sys
ready, go = os.pipe(), os.pipe()
pid = os.fork()
if pid == 0:
    if ctypes.CDLL(None, use_errno=True).unshare(0x10000000) != 0:
        os._exit(90)
    os.write(ready[1], b"x")
    os.read(go[0], 1)
    with open("/proc/sys/user/max_user_namespaces", "w") as limit:
        limit.write("0")
    os.setgroups([])
    os.setresgid(1000, 1000, 1000)
    os.setresuid(1000, 1000, 1000)
    os.execv(sys.argv[1], sys.argv[1:])
os.read(ready[0], 1)
open(f"/proc/{pid}/uid_map", "w").write("0 0 4294967295")
open(f"/proc/{pid}/gid_map", "w").write("0 0 4294967295")
os.write(go[1], b"x")
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
)";

// A workspace that uid 1000 owns (dataset, out, home), for runs as an ordinary user.
void give_to_user(CliWorkspace& workspace)
{
  write_file(workspace.dataset / "data" / "readme.txt", "original\n");
  const fs::path home = workspace.root / "home";
  fs::create_directories(home);
  fs::create_directories(workspace.out);
  for (const fs::path& path : {workspace.root.path(), workspace.dataset, home, workspace.out}) {
    REQUIRE(chown(path.c_str(), 1000, 1000) == 0);
  }
  for (const auto& item : fs::recursive_directory_iterator(workspace.dataset)) {
    REQUIRE(lchown(item.path().c_str(), 1000, 1000) == 0);
  }
  fs::permissions(workspace.root.path(), fs::perms(0755));
  workspace.options.env["HOME"] = home.string();
}

} // namespace

TEST_CASE("as an ordinary user the sandbox holds through a user namespace", "[inproc][sandbox][cli]")
{
  // The user owns the dataset: without the sandbox, every change below would succeed.
  CliWorkspace workspace(k_metadata_plugin);
  give_to_user(workspace);
  const std::string before = metadata(workspace.dataset / "data" / "readme.txt");
  CommandResult cli =
      run_command({"setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", MDIVICOM_BINARY, "run", "cli-test",
                   "--dataset", workspace.dataset.string(), "--out", workspace.out.string()},
                  workspace.options);
  INFO(cli.err);
  CHECK(cli.exit_code == 0);
  CHECK(cli.out == k_metadata_expected);
  CHECK(metadata(workspace.dataset / "data" / "readme.txt") == before);
  CHECK(read_file(workspace.out / "cli-test" / "result.txt") == "ok");
}

TEST_CASE("without user namespaces a run is refused before any plugin code runs, unless the user opts out",
          "[inproc][sandbox][cli]")
{
  // A manifest plugin: its run needs no get_plugin() call, so the run's own refusal is seen.
  CliWorkspace workspace("def run(**kwargs):\n    print('plugin ran')\n");
  give_to_user(workspace);
  write_file(workspace.root / "manifests" / "refused.json",
             nlohmann::json({{"meta",
                              {{"api_version", "mdivicomtools.plugin.v0.1"},
                               {"id", "manifest-test"},
                               {"kind", "python"},
                               {"version", "1.0"},
                               {"description", "runs cli_mod:run"}}},
                             {"entry", {{"callable", "cli_mod:run"}, {"python_path", {"../plugin"}}}}})
                 .dump());
  workspace.options.env["MDIVICOM_PLUGIN_PATH"] = (workspace.root / "manifests").string();
  workspace.options.env["MDIVICOM_DEV_PLUGIN_ROOTS"] = k_unset;
  write_file(workspace.root / "limit.py", k_without_user_namespaces);
  const std::vector<std::string> argv = {"/usr/bin/python3",
                                         (workspace.root / "limit.py").string(),
                                         MDIVICOM_BINARY,
                                         "run",
                                         "manifest-test",
                                         "--dataset",
                                         workspace.dataset.string(),
                                         "--out",
                                         workspace.out.string()};
  SECTION("refused")
  {
    CommandResult cli = run_command(argv, workspace.options);
    INFO(cli.err);
    CHECK(cli.exit_code == 4); // the host, not the plugin
    CHECK(cli.out.find("plugin ran") == std::string::npos);
    CHECK_THAT(cli.err, Catch::Contains("MDIVICOM_SANDBOX=off") && Catch::Contains("user namespaces"));
    for (const auto& item : fs::directory_iterator(workspace.out / "_runs")) {
      if (item.path().extension() == ".json") {
        nlohmann::json record = nlohmann::json::parse(read_file(item.path()));
        CHECK(record["status"] == "failed");
        CHECK(record["error"]["type"] == "mdivicom.SandboxUnavailable");
        CHECK(record["sandbox"]["refused"] == true);
      }
    }
  }
  SECTION("opted out with MDIVICOM_SANDBOX=off: it runs, warned about")
  {
    workspace.options.env["MDIVICOM_SANDBOX"] = "off";
    CommandResult cli = run_command(argv, workspace.options);
    INFO(cli.err);
    CHECK(cli.exit_code == 0);
    CHECK(cli.out == "plugin ran\n");
    CHECK_THAT(cli.err, Catch::Contains("without its read-only view"));
  }
  SECTION("doctor says the Python lane cannot run and how to fix it")
  {
    CommandResult cli =
        run_command({"/usr/bin/python3", (workspace.root / "limit.py").string(), MDIVICOM_BINARY, "doctor", "--json"},
                    workspace.options);
    INFO(cli.err);
    nlohmann::json facts = nlohmann::json::parse(cli.out);
    CHECK(facts["python_lane"]["python"]["ok"] == false);
    CHECK_THAT(facts["python_lane"]["python"]["fix"].get<std::string>(), Catch::Contains("MDIVICOM_SANDBOX=off"));
  }
  SECTION("discovery refuses to call get_plugin() and says why")
  {
    workspace.options.env["MDIVICOM_DEV_PLUGIN_ROOTS"] = workspace.plugin_root.string();
    CommandResult cli =
        run_command({"/usr/bin/python3", (workspace.root / "limit.py").string(), MDIVICOM_BINARY, "plugins", "list"},
                    workspace.options);
    CHECK(cli.out.find("cli-test\terror") != std::string::npos);
    CHECK_THAT(cli.err, Catch::Contains("get_plugin() was not called: its sandbox could not be set up"));
  }
}
