#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "lanes/inproc/child_process.hpp"
#include "lanes/inproc/discovery/python_env.hpp"

namespace mdivicom::inproc {

// The descriptors a Python worker gets as its 1, 2, 3 and 4 (its stdin is /dev/null).
struct WorkerFds
{
  int out;
  int err;
  int report; // JSON lines from the bootstrap
  int job;    // the read end of the job socket (make_job_channel)
};

// Starts mdivicom-python-worker (python/worker_main.cpp), found beside the modules, to run
// the bootstrap's `function` as the interpreter `executable` (a PythonEnv's) once it gets its
// job. `unbuffered`: stdout/stderr written through, so output shows live. Throws
// mdivicom::Error when the worker cannot be found or started.
ChildProcess start_python_worker(const std::filesystem::path& executable, const char* function, bool unbuffered,
                                 const WorkerFds& fds);

// A socket pair for the job: read end for the worker, write end for mdivicom, which sends with
// MSG_NOSIGNAL (a worker that died early is an error to handle, not a SIGPIPE).
Pipe make_job_channel();

// The job as the worker reads it (worker_main.cpp): CBOR of {"params", "sandbox"?}; CBOR keeps
// paths that are not UTF-8 byte for byte, as JSON text would not. A null sandbox: none.
std::vector<std::uint8_t> encode_job(nlohmann::json params, nlohmann::json sandbox = nullptr);

// Sends bytes[sent..] into the job socket: as much as it takes now, or all of it when `wait`.
// Closes the socket once everything is sent (end of file completes the job) or when the worker
// is gone (its exit says why).
void send_job(UniqueFd& job, const std::vector<std::uint8_t>& bytes, size_t& sent, bool wait);

} // namespace mdivicom::inproc
