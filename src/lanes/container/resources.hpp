#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/error.hpp"

namespace mdivicom::container {

// entry.resources.gpus: every GPU ("all"), a number of them, or the devices named (ids or UUIDs).
struct GpuRequest
{
  int64_t count = 0;                   // -1: all; 0 with device_ids
  std::vector<std::string> device_ids; // empty with a count
};

// A manifest's entry.resources, checked: the limits and sizes of the container.
struct ContainerResources
{
  std::optional<int64_t> memory_bytes;
  std::optional<double> cpus;
  int64_t pids = 512;
  std::optional<GpuRequest> gpus;
  std::optional<int64_t> shm_bytes;     // /dev/shm; the engine's default (64 MB) when absent
  int64_t tmp_bytes = int64_t{1} << 30; // the tmpfs /tmp: bounded, so a runaway tool cannot fill RAM

  // `where` is "<manifest>: /entry", for messages like "<where>/resources/gpus: ...".
  static Result<ContainerResources> parse(const nlohmann::json& resources, const std::string& where);
};

// The tmpfs options of /tmp: "rw,nosuid,nodev,size=1g,mode=1777".
std::string tmp_options(const ContainerResources& resources);

// "1g", "512m", "3k" or the bytes: the size as a tmpfs option or a message says it.
std::string size_text(int64_t bytes);

// Adds Memory, MemorySwap, NanoCpus, PidsLimit, ShmSize, Tmpfs and DeviceRequests to a create
// body's HostConfig.
void add_resources(nlohmann::json& host_config, const ContainerResources& resources);

// The record's container.security entries of the resources.
void add_resource_facts(nlohmann::json& security, const ContainerResources& resources);

} // namespace mdivicom::container
