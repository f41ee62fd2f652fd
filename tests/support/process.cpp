#include "support/process.hpp"

#include <chrono>
#include <csignal>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace mdivicom::test {

namespace {

std::vector<std::string> child_environment(const std::map<std::string, std::string>& changes)
{
  std::map<std::string, std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string text(*entry);
    auto eq = text.find('=');
    if (eq != std::string::npos) {
      env[text.substr(0, eq)] = text.substr(eq + 1);
    }
  }
  for (const auto& [key, value] : changes) {
    if (value == k_unset) {
      env.erase(key);
    } else {
      env[key] = value;
    }
  }
  std::vector<std::string> result;
  for (const auto& [key, value] : env) {
    result.push_back(key + "=" + value);
  }
  return result;
}

std::vector<char*> pointers(std::vector<std::string>& strings)
{
  std::vector<char*> result;
  for (auto& s : strings) {
    result.push_back(s.data());
  }
  result.push_back(nullptr);
  return result;
}

} // namespace

CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& options)
{
  int out_pipe[2], err_pipe[2], in_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0 || pipe2(in_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  std::vector<std::string> args = argv;
  std::vector<std::string> env = child_environment(options.env);
  auto arg_ptrs = pointers(args);
  auto env_ptrs = pointers(env);

  pid_t pid = fork();
  if (pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    setpgid(0, 0);
    if (options.cwd && chdir(options.cwd->c_str()) != 0) {
      _exit(127);
    }
    execvpe(arg_ptrs[0], arg_ptrs.data(), env_ptrs.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (!options.input.empty()) {
    ssize_t ignored = write(in_pipe[1], options.input.data(), options.input.size());
    (void)ignored;
  }
  close(in_pipe[1]);

  CommandResult result;
  auto start = std::chrono::steady_clock::now();
  bool interrupted = false;
  bool killed = false;
  int open_fds = 2;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  while (open_fds > 0) {
    int ready = poll(fds, 2, 50);
    if (ready < 0 && errno != EINTR) {
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        char buffer[65536];
        ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
        if (n > 0) {
          sinks[i]->append(buffer, static_cast<size_t>(n));
        } else if (n == 0 || errno != EINTR) {
          close(fds[i].fd);
          fds[i].fd = -1;
          --open_fds;
        }
      }
    }
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!interrupted && ((options.interrupt_after_s && elapsed >= *options.interrupt_after_s) ||
                         (options.interrupt_when && options.interrupt_when(pid, result)))) {
      kill(pid, options.interrupt_signal);
      interrupted = true;
    }
    if (!killed && elapsed >= options.timeout_s) {
      kill(-pid, SIGKILL);
      killed = true;
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  if (killed) {
    result.err += "\n[test harness: killed after " + std::to_string(options.timeout_s) + " s]\n";
  }
  return result;
}

CommandResult run_mdivicom(const std::vector<std::string>& args, const CommandOptions& options)
{
  std::vector<std::string> argv = {MDIVICOM_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, options);
}

CommandOptions isolated_options(const TempDir& dir)
{
  CommandOptions options;
  options.env = {{"MDIVICOM_PLUGIN_PATH", (dir / "no-manifests").string()},
                 {"XDG_DATA_HOME", (dir / "xdg-data").string()},
                 {"XDG_CACHE_HOME", (dir / "xdg-cache").string()},
                 {"MDIVICOM_DEV_PLUGIN_ROOTS", k_unset},
                 {"VIRTUAL_ENV", k_unset},
                 {"MDIVICOM_PYTHON_ENV", k_unset},
                 {"PYTHONPATH", k_unset},
                 {"SOURCE_DATE_EPOCH", k_unset},
                 {"PYTHONDONTWRITEBYTECODE", "1"}};
  return options;
}

} // namespace mdivicom::test
