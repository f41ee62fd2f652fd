#include "core/util/interrupt.hpp"

#include <atomic>
#include <csignal>

#include <fcntl.h>
#include <unistd.h>

namespace mdivicom {

namespace {

std::atomic<int> g_signal{0};
std::atomic<int> g_count{0};
int g_pipe[2] = {-1, -1};
struct sigaction g_old_int;
struct sigaction g_old_term;
struct sigaction g_old_hup; // a closed terminal: without it, mdivicom would die mid-run

void on_signal(int signal)
{
  int expected = 0;
  g_signal.compare_exchange_strong(expected, signal);
  g_count.fetch_add(1);
  if (g_pipe[1] >= 0) {
    char byte = 1;
    ssize_t ignored = write(g_pipe[1], &byte, 1);
    (void)ignored;
  }
}

} // namespace

InterruptScope::InterruptScope()
{
  if (g_pipe[0] < 0 && pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    g_pipe[0] = g_pipe[1] = -1;
  }
  struct sigaction action = {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &g_old_int);
  sigaction(SIGTERM, &action, &g_old_term);
  sigaction(SIGHUP, &action, &g_old_hup);
}

InterruptScope::~InterruptScope()
{
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
  sigaction(SIGHUP, &g_old_hup, nullptr);
}

int interrupt_signal()
{
  return g_signal.load();
}

int interrupt_count()
{
  return g_count.load();
}

int interrupt_fd()
{
  return g_pipe[0];
}

} // namespace mdivicom
