#pragma once

#include <string>

#include "lanes/container/engine/engine.hpp"

namespace mdivicom::container {

// Why `info`'s engine cannot give a container the GPUs entry.resources.gpus asks for, known
// before anything is created; "" when the engine may (it says so at create or start). Podman
// before 5.4 takes HostConfig.DeviceRequests through the Docker API and ignores them: the
// plugin would run without its GPUs and nothing would say so.
std::string gpu_refusal(const EngineInfo& info);

// The engine's answer to a create or start of a container with GPUs, said as what is missing
// and what to do, when it is about the GPU driver; "" for any other answer.
std::string gpu_runtime_problem(const EngineInfo& info, const std::string& answer);

} // namespace mdivicom::container
