#include "lanes/container/resources.hpp"

#include "core/util/memory_size.hpp"

#include <cmath>

namespace mdivicom::container {

namespace {

constexpr const char* k_size_hint = "expected bytes or a size like 512m";

Result<GpuRequest> parse_gpus(const nlohmann::json& value, const std::string& where)
{
  const std::string problem =
      where +
      ": expected \"all\", a number of GPUs (at least 1) or a list of device ids such as [\"0\", \"GPU-3a4b...\"]";
  GpuRequest request;
  if (value.is_string() && value.get<std::string>() == "all") {
    request.count = -1;
    return request;
  }
  if (value.is_number_integer()) {
    if (value.get<int64_t>() < 1) {
      return Failure{problem};
    }
    request.count = value.get<int64_t>();
    return request;
  }
  if (!value.is_array() || value.empty()) {
    return Failure{problem};
  }
  for (const auto& id : value) {
    if (!id.is_string() || id.get<std::string>().empty()) {
      return Failure{problem};
    }
    request.device_ids.push_back(id.get<std::string>());
  }
  return request;
}

// A size of at least `minimum` bytes, or the problem said with its place.
Result<int64_t> parse_size(const nlohmann::json& value, const std::string& where, int64_t minimum,
                           const char* minimum_text)
{
  auto bytes = memory_size_bytes(value);
  if (!bytes || *bytes < minimum) {
    return Failure{where + ": " + k_size_hint + " (at least " + minimum_text + ")"};
  }
  return *bytes;
}

} // namespace

Result<ContainerResources> ContainerResources::parse(const nlohmann::json& resources, const std::string& where)
{
  ContainerResources result;
  if (!resources.is_object()) {
    return Failure{where + "/resources: expected an object"};
  }
  const std::string at = where + "/resources/";
  if (resources.contains("memory")) {
    auto bytes = parse_size(resources["memory"], at + "memory", k_min_memory_bytes, "6m");
    if (!bytes) {
      return Failure{bytes.error()};
    }
    result.memory_bytes = *bytes;
  }
  if (resources.contains("cpus")) {
    if (!resources["cpus"].is_number() || resources["cpus"].get<double>() <= 0) {
      return Failure{at + "cpus: expected a positive number"};
    }
    result.cpus = resources["cpus"].get<double>();
  }
  if (resources.contains("pids")) {
    if (!resources["pids"].is_number_integer() || resources["pids"].get<int64_t>() < 1) {
      return Failure{at + "pids: expected a positive integer"};
    }
    result.pids = resources["pids"].get<int64_t>();
  }
  if (resources.contains("gpus")) {
    auto gpus = parse_gpus(resources["gpus"], at + "gpus");
    if (!gpus) {
      return Failure{gpus.error()};
    }
    result.gpus = *gpus;
  }
  if (resources.contains("shm_size")) {
    auto bytes = parse_size(resources["shm_size"], at + "shm_size", int64_t{1} << 20, "1m");
    if (!bytes) {
      return Failure{bytes.error()};
    }
    result.shm_bytes = *bytes;
  }
  if (resources.contains("tmp_size")) {
    auto bytes = parse_size(resources["tmp_size"], at + "tmp_size", int64_t{1} << 20, "1m");
    if (!bytes) {
      return Failure{bytes.error()};
    }
    result.tmp_bytes = *bytes;
  }
  return result;
}

std::string size_text(int64_t bytes)
{
  for (const auto& [shift, unit] : {std::pair{30, 'g'}, std::pair{20, 'm'}, std::pair{10, 'k'}}) {
    if (bytes % (int64_t{1} << shift) == 0) {
      return std::to_string(bytes >> shift) + unit;
    }
  }
  return std::to_string(bytes);
}

std::string tmp_options(const ContainerResources& resources)
{
  return "rw,nosuid,nodev,size=" + size_text(resources.tmp_bytes) + ",mode=1777";
}

void add_resources(nlohmann::json& host_config, const ContainerResources& resources)
{
  host_config["Tmpfs"] = {{"/tmp", tmp_options(resources)}};
  host_config["PidsLimit"] = resources.pids;
  if (resources.memory_bytes) {
    host_config["Memory"] = *resources.memory_bytes;
    host_config["MemorySwap"] = *resources.memory_bytes; // no swap beyond the limit
  }
  if (resources.cpus) {
    host_config["NanoCpus"] = static_cast<int64_t>(std::llround(*resources.cpus * 1e9));
  }
  if (resources.shm_bytes) {
    host_config["ShmSize"] = *resources.shm_bytes;
  }
  if (resources.gpus) {
    // What `docker run --gpus` sends: the engine picks the driver that offers the capability.
    const GpuRequest& gpus = *resources.gpus;
    host_config["DeviceRequests"] = nlohmann::json::array({{
        {"Driver", ""},
        {"Count", gpus.count},
        {"DeviceIDs", gpus.device_ids.empty() ? nlohmann::json() : nlohmann::json(gpus.device_ids)},
        {"Capabilities", {{"gpu"}}},
        {"Options", nlohmann::json::object()},
    }});
  }
}

void add_resource_facts(nlohmann::json& security, const ContainerResources& resources)
{
  security["tmpfs"] = {{"/tmp", tmp_options(resources)}};
  security["pids_limit"] = resources.pids;
  security["memory_bytes"] = resources.memory_bytes ? nlohmann::json(*resources.memory_bytes) : nlohmann::json();
  security["cpus"] = resources.cpus ? nlohmann::json(*resources.cpus) : nlohmann::json();
  security["shm_size_bytes"] = resources.shm_bytes ? nlohmann::json(*resources.shm_bytes) : nlohmann::json();
  nlohmann::json gpus;
  if (resources.gpus) {
    gpus = resources.gpus->device_ids.empty()
               ? (resources.gpus->count < 0 ? nlohmann::json("all") : nlohmann::json(resources.gpus->count))
               : nlohmann::json(resources.gpus->device_ids);
  }
  security["gpus"] = gpus;
}

} // namespace mdivicom::container
