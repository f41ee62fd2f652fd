#include "lanes/container/gpu_runtime.hpp"

#include <cstdio>

namespace mdivicom::container {

namespace {

// "5.4.1" -> {5, 4}; {0, 0} for what is not a version.
std::pair<int, int> major_minor(const std::string& version)
{
  int major = 0;
  int minor = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) < 1) {
    return {0, 0};
  }
  return {major, minor};
}

std::string engine_name(const EngineInfo& info)
{
  return "the engine " + info.name + " " + info.version;
}

std::string fix(const EngineInfo& info)
{
  if (info.name == "podman") {
    return "install nvidia-container-toolkit where the engine runs and write its CDI spec ('nvidia-ctk cdi generate "
           "--output=/etc/cdi/nvidia.yaml'), or run the plugin without entry.resources.gpus";
  }
  return "install nvidia-container-toolkit where the engine runs, register it ('nvidia-ctk runtime configure "
         "--runtime=docker') and restart the engine, or run the plugin without entry.resources.gpus";
}

} // namespace

std::string gpu_refusal(const EngineInfo& info)
{
  if (info.name != "podman" || major_minor(info.version) >= std::pair{5, 4}) {
    return "";
  }
  return engine_name(info) +
         " has no GPU runtime it can be asked for through the Docker API: Podman before 5.4 ignores GPU requests "
         "(HostConfig.DeviceRequests), so the plugin would run without the GPUs entry.resources.gpus asks for; use "
         "Podman 5.4 or later or Docker, with nvidia-container-toolkit (--backend, --engine), or run the plugin "
         "without entry.resources.gpus";
}

std::string gpu_runtime_problem(const EngineInfo& info, const std::string& answer)
{
  // Docker: `could not select device driver "" with capabilities: [[gpu]]`; Podman 5.4+: the
  // CDI device nvidia.com/gpu=... it cannot resolve.
  const bool about_gpus = answer.find("could not select device driver") != std::string::npos ||
                          answer.find("nvidia.com/gpu") != std::string::npos;
  if (!about_gpus) {
    return "";
  }
  return engine_name(info) + " has no GPU runtime (nvidia-container-toolkit), so the container cannot have the GPUs " +
         "entry.resources.gpus asks for (the engine said: " + answer + "); " + fix(info);
}

} // namespace mdivicom::container
