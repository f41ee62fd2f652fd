#include "core/util/command.hpp"

#include "core/util/error.hpp"
#include "core/util/text_bytes.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace mdivicom {

namespace {

constexpr size_t k_max_output = size_t{16} << 20;

class PipeEnds
{
public:
  PipeEnds()
  {
    if (::pipe2(m_fds, O_CLOEXEC) != 0) {
      m_fds[0] = m_fds[1] = -1;
    }
  }
  ~PipeEnds()
  {
    close_read();
    close_write();
  }
  PipeEnds(const PipeEnds&) = delete;
  PipeEnds& operator=(const PipeEnds&) = delete;
  bool ok() const { return m_fds[0] >= 0; }
  int read_end() const { return m_fds[0]; }
  int write_end() const { return m_fds[1]; }
  void close_read() { close_fd(m_fds[0]); }
  void close_write() { close_fd(m_fds[1]); }

private:
  static void close_fd(int& fd)
  {
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
  }
  int m_fds[2] = {-1, -1};
};

} // namespace

pid_t spawn_process(const std::vector<std::string>& argv, const SpawnOptions& options)
{
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (options.own_process_group) {
    posix_spawnattr_setpgroup(&attr, 0);
    flags |= POSIX_SPAWN_SETPGROUP;
  }
  posix_spawnattr_setflags(&attr, flags);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (!options.output_file.empty()) {
    posix_spawn_file_actions_addopen(&actions, 1, options.output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  } else {
    if (options.stdout_fd >= 0) {
      posix_spawn_file_actions_adddup2(&actions, options.stdout_fd, 1);
    }
    if (options.stderr_fd >= 0) {
      posix_spawn_file_actions_adddup2(&actions, options.stderr_fd, 2);
    }
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = -1;
  const int status = options.search_path ? posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ)
                                         : posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (status != 0) {
    throw Error("cannot start " + printable(argv[0]) + ": " + std::strerror(status));
  }
  return pid;
}

int exit_code_of_wait_status(int wait_status)
{
  if (WIFEXITED(wait_status)) {
    return WEXITSTATUS(wait_status);
  }
  return WIFSIGNALED(wait_status) ? 128 + WTERMSIG(wait_status) : 1;
}

CommandOutput run_and_capture(const std::vector<std::string>& argv)
{
  CommandOutput output;
  PipeEnds out;
  PipeEnds err;
  if (argv.empty() || !out.ok() || !err.ok()) {
    output.exit_code = 127;
    output.err = "cannot start a command: out of file descriptors";
    return output;
  }
  pid_t pid = -1;
  try {
    SpawnOptions options;
    options.stdout_fd = out.write_end();
    options.stderr_fd = err.write_end();
    options.search_path = true;
    pid = spawn_process(argv, options);
  } catch (const Error& e) {
    output.exit_code = 127;
    output.err = e.what();
    return output;
  }
  out.close_write();
  err.close_write();
  pollfd fds[2] = {{out.read_end(), POLLIN, 0}, {err.read_end(), POLLIN, 0}};
  std::string* sinks[2] = {&output.out, &output.err};
  int open_streams = 2;
  char buffer[65536];
  while (open_streams > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) {
        continue;
      }
      const ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
      if (got > 0) {
        if (sinks[i]->size() < k_max_output) {
          sinks[i]->append(buffer, static_cast<size_t>(got));
        }
      } else if (got == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_streams;
      }
    }
  }
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  output.exit_code = exit_code_of_wait_status(wait_status);
  return output;
}

} // namespace mdivicom
