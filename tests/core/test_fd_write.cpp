#include <catch2/catch.hpp>

#include "core/util/fd_write.hpp"
#include "core/util/unique_fd.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <string>
#include <thread>

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

using mdivicom::UniqueFd;
using mdivicom::write_all;

namespace {

struct PipeEnds
{
  UniqueFd read;
  UniqueFd write;
};

PipeEnds make_test_pipe()
{
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

bool is_open(int fd)
{
  return ::fcntl(fd, F_GETFD) != -1;
}

void count_alarm(int) {}

} // namespace

TEST_CASE("a UniqueFd closes what it holds when reset, moved onto or destroyed, and not what it released", "[core][fd]")
{
  PipeEnds ends = make_test_pipe();
  const int read_fd = ends.read.get();
  const int write_fd = ends.write.get();
  UniqueFd moved(std::move(ends.read));
  CHECK_FALSE(ends.read);
  CHECK(moved.get() == read_fd);
  moved = std::move(moved); // a self-move keeps the descriptor
  CHECK(is_open(read_fd));
  moved = std::move(ends.write);
  CHECK_FALSE(is_open(read_fd));
  CHECK(moved.get() == write_fd);
  const int released = moved.release();
  CHECK_FALSE(moved);
  CHECK(is_open(released));
  {
    UniqueFd owner(released);
  }
  CHECK_FALSE(is_open(released));
}

// The three copies this replaced disagreed on a write that makes no progress (one went on
// with a stale errno); signals that interrupt a large write must not lose or repeat a byte.
TEST_CASE("write_all delivers every byte through interrupted and partial writes", "[core][fd]")
{
  PipeEnds ends = make_test_pipe();
  const std::string text = [] {
    std::string bytes(8 << 20, '\0');
    for (size_t i = 0; i < bytes.size(); ++i) {
      bytes[i] = static_cast<char>('a' + i % 23);
    }
    return bytes;
  }();
  // SIGALRM without SA_RESTART every millisecond: the blocked write returns early, partly
  // written or with EINTR.
  struct sigaction action = {};
  struct sigaction previous = {};
  action.sa_handler = count_alarm;
  sigemptyset(&action.sa_mask);
  REQUIRE(::sigaction(SIGALRM, &action, &previous) == 0);
  itimerval every_ms = {{0, 1000}, {0, 1000}};
  REQUIRE(::setitimer(ITIMER_REAL, &every_ms, nullptr) == 0);

  std::string received;
  std::thread reader([&] {
    char buffer[4096];
    while (true) {
      const ssize_t n = ::read(ends.read.get(), buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return;
      }
      received.append(buffer, static_cast<size_t>(n));
      if (received.size() % (256 << 10) < sizeof buffer) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2)); // keep the pipe full
      }
    }
  });
  const bool written = write_all(ends.write.get(), text);
  ends.write.reset();
  reader.join();
  itimerval off = {};
  ::setitimer(ITIMER_REAL, &off, nullptr);
  ::sigaction(SIGALRM, &previous, nullptr);
  CHECK(written);
  CHECK(received.size() == text.size());
  CHECK(received == text);
}

TEST_CASE("write_all reports a reader that went away with errno set", "[core][fd]")
{
  PipeEnds ends = make_test_pipe();
  ends.read.reset();
  struct sigaction ignore = {};
  struct sigaction previous = {};
  ignore.sa_handler = SIG_IGN;
  REQUIRE(::sigaction(SIGPIPE, &ignore, &previous) == 0);
  errno = 0;
  const bool written = write_all(ends.write.get(), "lost");
  const int error = errno;
  ::sigaction(SIGPIPE, &previous, nullptr);
  CHECK_FALSE(written);
  CHECK(error == EPIPE);
  CHECK(write_all(ends.write.get(), "")); // nothing to write is no error
}
