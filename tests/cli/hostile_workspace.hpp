#pragma once

// The workspace of one case of the hostile-input corpus (tests/data/hostile/README.md): a dataset,
// an output root, a bystander home with credential stores and an agent socket, and the Python
// plugin that a class's cases share.

#include <catch2/catch.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/tree_snapshot.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace mdivicom::test::hostile {

namespace fs = std::filesystem;
using nlohmann::json;

inline const fs::path k_corpus = fs::path(MDIVICOM_TEST_DATA) / "hostile";

// Every case's plugin module starts with this: `run` sets D (the dataset), O (the output root),
// OUT (O/<id>), WORK and CONFIG, then calls the case's `case()`; `attempt` prints the outcome of
// one action: "done", the value it returned, or the errno's name.
inline const char* k_prelude = R"(import ctypes, errno, os, signal, socket, stat, subprocess, sys, time
def attempt(label, action):
    try:
        result = action()
        print(label, "done" if result is None else repr(result), flush=True)
    except OSError as error:
        print(label, errno.errorcode.get(error.errno, error.errno), flush=True)
def libc_call(name, *args):
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(*args) != 0:
        raise OSError(ctypes.get_errno(), name)
def run(dataset_dir, out_dir, config, work_dir, **kwargs):
    global D, O, OUT, WORK, CONFIG
    D, O, OUT, WORK, CONFIG = dataset_dir, os.path.dirname(out_dir), out_dir, work_dir, config
    case()
)";

inline const char* k_default_case = "def case():\n    print('ok')\n";

// In a module of its own, so that the discovery cache (shared by a class's cases) stays valid
// while each case writes its own cli_mod.py.
inline const char* k_registration = R"(
def get_plugin():
    return {'meta': {'api_version': 'mdivicomtools.plugin.v0.1', 'id': 'cli-test', 'kind': 'python',
                     'version': '1.0.0', 'description': 'hostile corpus plugin'},
            'entry': {'callable': 'cli_mod:run'}}
def get_schema_plugin():
    schema = {'type': 'object', 'additionalProperties': False, 'required': ['threshold'],
              'properties': {'threshold': {'type': 'number', 'minimum': 0, 'maximum': 10},
                             'label': {'type': 'string', 'maxLength': 8},
                             'api_key': {'type': 'string'}}}
    return {'meta': {'api_version': 'mdivicomtools.plugin.v0.1', 'id': 'schema-test', 'kind': 'python',
                     'version': '1.0.0', 'description': 'hostile corpus plugin with a config schema',
                     'config_schema': schema},
            'entry': {'callable': 'cli_mod:run'}}
)";

// Credential stores of the bystander home: never changed, never read (their atime is old, so a
// read would move it).
inline const std::map<std::string, std::string> k_credentials = {
    {"home/.ssh/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY----- ssh-secret\n"},
    {"home/.aws/credentials", "[default]\naws_secret_access_key = aws-secret\n"},
    {"home/.netrc", "machine example.org login lab password netrc-secret\n"},
    {"home/.docker/config.json", "{\"auths\": {\"example.org\": {\"auth\": \"docker-secret\"}}}\n"},
    {"home/.gnupg/private-keys-v1.d/key.key", "gpg-secret\n"},
    {"home/.git-credentials", "https://lab:git-secret@example.org\n"},
    {"home/.kube/config", "token: kube-secret\n"},
    {"home/.pgpass", "db:5432:*:lab:pg-secret\n"},
};

// A text: a string, or an array of strings, {"repeat": s, "times": n} and {"hex": "e9ff"} pieces
// (bytes that are not UTF-8).
inline std::string text_of(const json& value)
{
  if (value.is_string()) {
    return value.get<std::string>();
  }
  std::string text;
  for (const auto& piece : value) {
    if (piece.is_string()) {
      text += piece.get<std::string>();
    } else if (piece.contains("hex")) {
      const std::string hex = piece["hex"].get<std::string>();
      for (size_t i = 0; i + 1 < hex.size(); i += 2) {
        text += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
      }
    } else {
      for (int i = 0; i < piece.at("times").get<int>(); ++i) {
        text += piece.at("repeat").get<std::string>();
      }
    }
  }
  return text;
}

// What a class's cases share: the dev root (registration cached once) and the plugin cache.
struct SharedPlugin
{
  TempDir root;
  fs::path plugin = root / "plugin";

  SharedPlugin()
  {
    write_file(plugin / "pyproject.toml", "[project]\nname = \"hostile\"\nversion = \"0.1.0\"\n\n"
                                          "[project.entry-points.\"mdivicomtools.plugins\"]\n"
                                          "\"cli-test\" = \"registration:get_plugin\"\n"
                                          "\"schema-test\" = \"registration:get_schema_plugin\"\n");
    write_file(plugin / "registration.py", k_registration);
  }
};

// The member `key` of `object`, or an empty object: a reference, since items() of a temporary
// would dangle in a range-for.
inline const json& member(const json& object, const char* key)
{
  static const json empty = json::object();
  auto found = object.find(key);
  return found != object.end() ? *found : empty;
}

struct Workspace
{
  const SharedPlugin& shared;
  TempDir root;
  fs::path dataset = root / "D";
  fs::path out = root / "O";
  std::map<std::string, std::string> places;
  CommandOptions options;
  int agent_fd = -1;

  explicit Workspace(const SharedPlugin& shared_plugin) : shared(shared_plugin)
  {
    places = {{"{W}", root.path().string()},
              {"{D}", dataset.string()},
              {"{O}", out.string()},
              {"{HOME}", (root / "home").string()}};
    write_file(dataset / "sessions/ses-01/raw/gaze/gaze.csv", "t,x\n0,1\n");
    write_file(dataset / "README.txt", "a small dataset\n");
    write_file(dataset / "locked.txt", "read-only file\n");
    fs::permissions(dataset / "locked.txt", fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    REQUIRE(::setxattr((dataset / "README.txt").c_str(), "user.origin", "lab", 3, 0) == 0);
    fs::create_directories(dataset / "empty");
    fs::create_symlink("sessions/ses-01/raw/gaze/gaze.csv", dataset / "link.csv");
    write_file(out / "other-plugin/result.txt", "another plugin's output\n");
    for (const auto& [path, content] : k_credentials) {
      write_file(root / path, content);
      const timespec times[2] = {{1, 0}, {0, UTIME_OMIT}};
      REQUIRE(::utimensat(AT_FDCWD, (root / path).c_str(), times, 0) == 0);
    }
    for (const char* dir : {"xdg-data", "tmp", "manifests", "home/run"}) {
      fs::create_directories(root / dir);
    }
    agent_fd = listen_on(root / "home/run/agent.sock");
    options.timeout_s = 60;
    options.env = {{"HOME", (root / "home").string()},
                   {"XDG_RUNTIME_DIR", (root / "home/run").string()},
                   {"SSH_AUTH_SOCK", (root / "home/run/agent.sock").string()},
                   {"TMPDIR", (root / "tmp").string()},
                   {"XDG_CACHE_HOME", (shared.root / "xdg-cache").string()},
                   {"XDG_DATA_HOME", (root / "xdg-data").string()},
                   {"MDIVICOM_DEV_PLUGIN_ROOTS", shared.plugin.string()},
                   {"MDIVICOM_PLUGIN_PATH", (root / "manifests").string()}};
    for (const char* name : {"VIRTUAL_ENV", "MDIVICOM_PYTHON_ENV", "PYTHONPATH", "MDIVICOM_LANDLOCK",
                             "MDIVICOM_SANDBOX", "MDIVICOM_SANDBOX_EXPOSE", "DOCKER_HOST", "CONTAINER_HOST"}) {
      options.env[name] = k_unset;
    }
  }
  ~Workspace() { ::close(agent_fd); }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  static int listen_on(const fs::path& path)
  {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    return fd;
  }

  std::string expand(std::string text) const
  {
    for (const auto& [name, value] : places) {
      for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + value.size())) {
        text.replace(at, name.size(), value);
      }
    }
    return text;
  }

  // The case's files, links, fifos, manifests, plugin and environment.
  void set_up(const json& test_case)
  {
    for (const auto& [path, content] : member(test_case, "files").items()) {
      write_file(root / path, expand(text_of(content)));
    }
    for (const auto& [name, content] : member(test_case, "manifests").items()) {
      write_file(root / "manifests" / name, content.is_object() ? content.dump() : expand(text_of(content)));
    }
    for (const auto& path : test_case.value("dirs", json::array())) {
      fs::create_directories(root / path.get<std::string>());
    }
    for (const auto& [path, target] : member(test_case, "symlinks").items()) {
      fs::create_directories((root / path).parent_path());
      fs::create_symlink(expand(target.get<std::string>()), root / path);
    }
    for (const auto& path : test_case.value("fifos", json::array())) {
      REQUIRE(::mkfifo((root / path.get<std::string>()).c_str(), 0644) == 0);
    }
    std::string plugin = test_case.contains("plugin") ? text_of(test_case["plugin"]) : k_default_case;
    write_file(shared.plugin / "cli_mod.py", std::string(k_prelude) + expand(plugin));
    for (const auto& command : test_case.value("setup", json::array())) {
      std::vector<std::string> argv;
      for (const auto& arg : command) {
        argv.push_back(expand(arg.get<std::string>()));
      }
      CommandResult made = run_command(argv);
      INFO(made.err);
      REQUIRE(made.exit_code == 0);
    }
    for (const auto& [name, value] : member(test_case, "env").items()) {
      options.env[name] = expand(value.get<std::string>());
    }
  }

  std::vector<std::string> arguments(const json& test_case) const
  {
    std::vector<std::string> args = {"run", "cli-test", "--dataset", dataset.string(), "--out", out.string()};
    if (test_case.contains("args")) {
      args.clear();
      for (const auto& arg : test_case["args"]) {
        args.push_back(expand(text_of(arg)));
      }
    }
    for (const auto& arg : test_case.value("extra_args", json::array())) {
      args.push_back(expand(text_of(arg)));
    }
    return args;
  }

  // Everything but what the run may write: O/<id>/, O/_runs/, the crate, caches, scratch.
  TreeSnapshot snapshot() const
  {
    SnapshotOptions kept;
    kept.skipped = {"O/cli-test", "O/schema-test", "O/_runs", "O/ro-crate-metadata.json", "xdg-data"};
    kept.contents_only = {"O", "tmp"};
    kept.with_atime = {"home"};
    return snapshot_tree(root.path(), kept);
  }
};

} // namespace mdivicom::test::hostile
