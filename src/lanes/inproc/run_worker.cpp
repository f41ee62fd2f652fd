#include "lanes/inproc/run_worker.hpp"

#include "lanes/inproc/python_worker.hpp"

namespace mdivicom::inproc {

RunWorker start_run_worker(const std::filesystem::path& executable)
{
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  Pipe report = make_pipe();
  Pipe job = make_job_channel();
  ChildProcess child = start_python_worker(executable, "run_plugin", true,
                                           {out.write.get(), err.write.get(), report.write.get(), job.read.get()});
  // Our copies of the worker's ends close here, so its end of file is seen.
  return RunWorker{
      std::move(child),
      WorkerPipes{std::move(out.read), std::move(err.read), std::move(report.read), std::move(job.write), {}}};
}

std::vector<std::uint8_t> run_job(const PythonRunPlan& plan, const RunRequest& request)
{
  return encode_job(worker_params(plan, request), rules_to_json(plan.sandbox));
}

} // namespace mdivicom::inproc
