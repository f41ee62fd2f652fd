#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/error.hpp"
#include "core/run/lane.hpp"
#include "lanes/container/exposure/dataset_links.hpp"
#include "lanes/container/resources.hpp"

namespace mdivicom::container {

// Where the run's directories appear inside the container (entry.mounts overrides them).
struct MountPaths
{
  std::string dataset = "/data";
  std::string out = "/out";
  std::string work = "/work";
  std::string config = "/mdivicom/config.json";
};

// The container half of a manifest: entry.{image, argv, entrypoint, env, network, user,
// resources, mounts, image_archive}, checked.
struct ContainerEntry
{
  std::string image;
  std::vector<std::string> argv;
  std::optional<std::vector<std::string>> entrypoint;
  std::vector<std::pair<std::string, std::string>> env;
  std::string network = "none";
  std::string user = "host"; // "host" (the caller's uid:gid) or "image"
  ContainerResources resources;
  MountPaths mounts;
  std::optional<std::filesystem::path> image_archive; // absolute (relative to the manifest)

  static Result<ContainerEntry> parse(const Plugin& plugin);
};

// What the engine is told besides the entry: decided by the lane from the engine and host.
struct PlanInput
{
  std::string image;                    // the resolved image ID (or a placeholder in describe)
  std::string user;                     // "uid:gid", or "" to keep the image's user
  std::vector<std::string> groups;      // supplementary group IDs of that user (HostConfig.GroupAdd)
  std::filesystem::path config_file;    // the host file mounted at mounts.config
  std::vector<LinkBind> link_binds;     // dataset link targets
  std::vector<LinkBind> submount_binds; // mounts below the read-only sources (submounts.hpp)
  nlohmann::json labels = nlohmann::json::object();
  // The output and work dirs as HostConfig.Binds "<src>:<dst>:rw,nosuid,nodev" (Podman takes
  // those options; Docker answers "invalid mode" and its Mounts have no such option), unless a
  // path holds a ':', which a Binds entry cannot carry.
  bool writable_nosuid_nodev = false;
};

struct ContainerPlan
{
  std::string name;           // the container's name
  nlohmann::json create_body; // the exact body of POST /containers/create
  nlohmann::json facts;       // network, user, mounts, security: for the run record
};

// argv with {dataset_dir} {out_dir} {work_dir} {config_path} {dry_run} replaced by their
// container-side values; other braces are left alone (a shell's ${VAR} stays intact).
std::vector<std::string> expand_placeholders(const std::vector<std::string>& argv, const MountPaths& paths,
                                             bool dry_run);

// The create request for a run. Pure: contacts nothing, so describe() shows exactly this.
ContainerPlan plan_container(const RunRequest& request, const ContainerEntry& entry, const PlanInput& input);

// "mdivicom-<run id>", reduced to the characters engines accept in names.
std::string container_name(const std::string& run_id);

// Parses "512m", "2g", "1048576" (bytes; k/m/g are powers of 1024): core's memory_size_bytes.
std::optional<int64_t> parse_memory(const nlohmann::json& value);

} // namespace mdivicom::container
