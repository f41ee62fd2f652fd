#include "lanes/inproc/python_worker.hpp"

#include "core/util/error.hpp"
#include "core/util/module.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include <sys/socket.h>
#include <unistd.h>

namespace mdivicom::inproc {

ChildProcess start_python_worker(const std::filesystem::path& executable, const char* function, bool unbuffered,
                                 const WorkerFds& fds)
{
  std::string worker = module_executable("python-worker").string();
  return ChildProcess::spawn(
      {worker, std::to_string(getpid()), executable.string(), function, unbuffered ? "unbuffered" : "buffered"},
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

std::vector<std::uint8_t> encode_job(nlohmann::json params, nlohmann::json sandbox)
{
  nlohmann::json job = {{"params", std::move(params)}};
  if (!sandbox.is_null()) {
    job["sandbox"] = std::move(sandbox);
  }
  return nlohmann::json::to_cbor(job);
}

void send_job(UniqueFd& job, const std::vector<std::uint8_t>& bytes, size_t& sent, bool wait)
{
  const int flags = MSG_NOSIGNAL | (wait ? 0 : MSG_DONTWAIT);
  while (job && sent < bytes.size()) {
    ssize_t n = send(job.get(), bytes.data() + sent, bytes.size() - sent, flags);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    }
    if (n <= 0) {
      job.reset();
      return;
    }
    sent += static_cast<size_t>(n);
  }
  job.reset();
}

} // namespace mdivicom::inproc
