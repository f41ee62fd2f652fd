#pragma once

#include <catch2/catch.hpp>

#include <csignal>
#include <functional>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace mdivicom::test {

// A real other process: runs `work` (which returns a line for the parent), then stays alive,
// holding whatever it took, until it is killed. Killed and reaped on destruction.
class Child
{
public:
  explicit Child(const std::function<std::string()>& work)
  {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    m_pid = ::fork();
    REQUIRE(m_pid >= 0);
    if (m_pid == 0) {
      ::close(fds[0]);
      std::string line;
      try {
        line = work();
      } catch (const std::exception& e) {
        line = std::string("error: ") + e.what();
      }
      line += "\n";
      ssize_t ignored = ::write(fds[1], line.data(), line.size());
      (void)ignored;
      for (;;) {
        ::pause();
      }
    }
    ::close(fds[1]);
    char c = 0;
    while (::read(fds[0], &c, 1) == 1 && c != '\n') {
      m_result += c;
    }
    ::close(fds[0]);
  }
  ~Child() { kill(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  const std::string& result() const { return m_result; }

  // SIGKILL, as when a run is killed: nothing of the child's own cleanup runs.
  void kill()
  {
    if (m_pid > 0) {
      ::kill(m_pid, SIGKILL);
      ::waitpid(m_pid, nullptr, 0);
      m_pid = -1;
    }
  }

private:
  pid_t m_pid = -1;
  std::string m_result;
};

} // namespace mdivicom::test
