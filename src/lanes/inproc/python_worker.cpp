#include "lanes/inproc/python_worker.hpp"

#include "core/error.hpp"
#include "core/module.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include <sys/socket.h>
#include <unistd.h>

namespace mdivicom::inproc {

ChildProcess start_python_worker(const PythonEnv& env, const char* function, bool unbuffered, const WorkerFds& fds)
{
  std::string worker = module_executable("python-worker").string();
  return ChildProcess::spawn(
      {worker, std::to_string(getpid()), env.executable.string(), function, unbuffered ? "unbuffered" : "buffered"},
      {-1, fds.out, fds.err, fds.report, fds.job});
}

Pipe make_job_channel()
{
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    throw Error(std::string("cannot create the worker's job socket: ") + std::strerror(errno));
  }
  shutdown(fds[0], SHUT_WR);
  shutdown(fds[1], SHUT_RD);
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

} // namespace mdivicom::inproc
