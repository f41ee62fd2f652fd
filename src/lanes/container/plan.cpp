#include "lanes/container/plan.hpp"

#include "core/util/memory_size.hpp"

#include <cctype>
#include <string_view>

namespace mdivicom::container {

namespace {

Result<std::vector<std::string>> string_list(const nlohmann::json& value, const std::string& where)
{
  if (!value.is_array()) {
    return Failure{where + ": expected an array of strings"};
  }
  std::vector<std::string> result;
  for (const auto& item : value) {
    if (!item.is_string()) {
      return Failure{where + ": expected an array of strings"};
    }
    result.push_back(item.get<std::string>());
  }
  return result;
}

// A read-only bind leaves out what is mounted below its source: those mounts come as read-only
// binds of their own (submounts.hpp), as they would otherwise stay writable.
nlohmann::json mount(const std::string& source, const std::string& target, bool read_only)
{
  nlohmann::json bind = {{"Type", "bind"}, {"Source", source}, {"Target", target}, {"ReadOnly", read_only}};
  if (read_only) {
    bind["BindOptions"] = {{"NonRecursive", true}};
  }
  return bind;
}

} // namespace

// "<where>/env/<key>: <problem>", for a manifest's entry.env.
std::string env_problem(const std::string& where, const std::string& key, std::string_view problem)
{
  return where + "/env/" + key + ": " + std::string(problem);
}

std::optional<int64_t> parse_memory(const nlohmann::json& value)
{
  return memory_size_bytes(value);
}

Result<ContainerEntry> ContainerEntry::parse(const Plugin& plugin)
{
  const nlohmann::json& entry = plugin.entry();
  std::string where = plugin.origin() + ": /entry";
  ContainerEntry result;
  if (!entry.contains("image") || !entry["image"].is_string() || entry["image"].get<std::string>().empty()) {
    return Failure{where + "/image: a container plugin needs an image"};
  }
  result.image = entry["image"].get<std::string>();
  auto argv = string_list(entry.value("argv", nlohmann::json()), where + "/argv");
  if (!argv) {
    return Failure{argv.error()};
  }
  result.argv = *argv;
  if (entry.contains("entrypoint")) {
    auto entrypoint = string_list(entry["entrypoint"], where + "/entrypoint");
    if (!entrypoint) {
      return Failure{entrypoint.error()};
    }
    result.entrypoint = *entrypoint;
  }
  // A named copy: items() of the temporary value() returns would outlive it.
  const nlohmann::json env = entry.value("env", nlohmann::json::object());
  for (const auto& [key, value] : env.items()) {
    if (!value.is_string()) {
      return Failure{env_problem(where, key, "expected a string")};
    }
    if (key.rfind("MDIVICOM_", 0) == 0) {
      return Failure{env_problem(where, key, "MDIVICOM_* variables are set by mdivicom; rename it")};
    }
    result.env.emplace_back(key, value.get<std::string>());
  }
  result.network = entry.value("network", "none");
  if (result.network != "none" && result.network != "bridge" && result.network != "host") {
    return Failure{where + "/network: expected none, bridge or host"};
  }
  result.user = entry.value("user", "host");
  if (result.user != "host" && result.user != "image") {
    return Failure{where + "/user: expected host or image"};
  }
  auto resources = ContainerResources::parse(entry.value("resources", nlohmann::json::object()), where);
  if (!resources) {
    return Failure{resources.error()};
  }
  result.resources = *resources;
  auto mounts = entry.value("mounts", nlohmann::json::object());
  std::string* slots[] = {&result.mounts.dataset, &result.mounts.out, &result.mounts.work, &result.mounts.config};
  const char* names[] = {"dataset", "out", "work", "config"};
  for (int i = 0; i < 4; ++i) {
    if (mounts.contains(names[i])) {
      if (!mounts[names[i]].is_string()) {
        return Failure{where + "/mounts/" + names[i] + ": expected an absolute container path"};
      }
      *slots[i] = container_normal(mounts[names[i]].get<std::string>());
    }
  }
  for (int i = 0; i < 4; ++i) {
    std::vector<std::string> others;
    for (int j = 0; j < 4; ++j) {
      if (j != i) {
        others.push_back(*slots[j]);
      }
    }
    others.emplace_back("/tmp"); // the tmpfs
    if (is_reserved_container_path(*slots[i], others, i == 3) || *slots[i] == "/mdivicom") {
      return Failure{where + "/mounts/" + names[i] + ": " + *slots[i] +
                     " overlaps another mount or a system path (/, /proc, /etc, /usr, /tmp, ...)"};
    }
  }
  if (entry.contains("image_archive")) {
    if (!entry["image_archive"].is_string() || entry["image_archive"].get<std::string>().empty()) {
      return Failure{where + "/image_archive: expected a path relative to the manifest"};
    }
    std::filesystem::path archive = entry["image_archive"].get<std::string>();
    std::string manifest = plugin.object.value("manifest_path", "");
    if (archive.is_relative() && manifest.empty()) {
      return Failure{where + "/image_archive: a relative path needs the plugin to come from a manifest file"};
    }
    result.image_archive = std::filesystem::absolute(
        archive.is_relative() ? std::filesystem::path(manifest).parent_path() / archive : archive);
  }
  return result;
}

std::vector<std::string> expand_placeholders(const std::vector<std::string>& argv, const MountPaths& paths,
                                             bool dry_run)
{
  const std::pair<std::string, std::string> values[] = {
      {"{dataset_dir}", paths.dataset}, {"{out_dir}", paths.out},           {"{work_dir}", paths.work},
      {"{config_path}", paths.config},  {"{dry_run}", dry_run ? "1" : "0"},
  };
  std::vector<std::string> result;
  for (std::string arg : argv) {
    for (const auto& [key, value] : values) {
      for (size_t at = arg.find(key); at != std::string::npos; at = arg.find(key, at + value.size())) {
        arg.replace(at, key.size(), value);
      }
    }
    result.push_back(std::move(arg));
  }
  return result;
}

std::string container_name(const std::string& run_id)
{
  std::string name = "mdivicom-";
  for (char c : run_id) {
    name += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ? c : '-';
  }
  return name;
}

ContainerPlan plan_container(const RunRequest& request, const ContainerEntry& entry, const PlanInput& input)
{
  const MountPaths& paths = entry.mounts;
  nlohmann::json mounts = nlohmann::json::array();
  nlohmann::json binds = nlohmann::json::array();
  nlohmann::json mount_facts = nlohmann::json::array();
  auto add = [&](const std::string& source, const std::string& target, bool read_only, const char* role) {
    mount_facts.push_back({{"source", source}, {"target", target}, {"read_only", read_only}, {"role", role}});
    const bool as_bind = !read_only && input.writable_nosuid_nodev && source.find(':') == std::string::npos &&
                         target.find(':') == std::string::npos;
    if (as_bind) {
      binds.push_back(source + ":" + target + ":rw,nosuid,nodev");
    } else {
      mounts.push_back(mount(source, target, read_only));
    }
    if (!read_only) {
      mount_facts.back()["nosuid_nodev"] = as_bind;
    }
  };
  add(request.dataset_dir.string(), paths.dataset, true, "dataset");
  add(request.plugin_out_dir.string(), paths.out, false, "out");
  add(request.work_dir.string(), paths.work, false, "work");
  add(input.config_file.string(), paths.config, true, "config");
  for (const auto& bind : input.link_binds) {
    add(bind.host.string(), bind.container, true, bind.widened ? "dataset-link-store" : "dataset-link-target");
  }
  for (const auto& bind : input.submount_binds) {
    add(bind.host.string(), bind.container, true, "dataset-submount");
  }

  nlohmann::json env = nlohmann::json::array();
  bool home_set = false;
  for (const auto& [key, value] : entry.env) {
    env.push_back(std::string(key).append("=").append(value));
    home_set = home_set || key == "HOME";
  }
  if (!home_set) {
    env.push_back("HOME=/tmp"); // the root filesystem is read-only; tools still want a home
  }
  env.push_back("MDIVICOM_DATASET_DIR=" + paths.dataset);
  env.push_back("MDIVICOM_OUT_DIR=" + paths.out);
  env.push_back("MDIVICOM_WORK_DIR=" + paths.work);
  env.push_back("MDIVICOM_CONFIG=" + paths.config);
  env.push_back(std::string("MDIVICOM_DRY_RUN=") + (request.dry_run ? "1" : "0"));
  env.push_back("MDIVICOM_RUN_ID=" + request.run_id);

  nlohmann::json host_config = {
      {"Mounts", mounts},       {"NetworkMode", entry.network},
      {"CapDrop", {"ALL"}},     {"SecurityOpt", {"no-new-privileges"}},
      {"ReadonlyRootfs", true}, {"Init", true},
      {"AutoRemove", false}, // removed by the lane after reading the exit state
  };
  add_resources(host_config, entry.resources); // /tmp is the only writable place besides the mounts
  if (!binds.empty()) {
    host_config["Binds"] = binds;
  }
  if (!input.groups.empty()) {
    host_config["GroupAdd"] = input.groups;
  }

  ContainerPlan plan;
  plan.name = container_name(request.run_id);
  plan.create_body = {
      {"Image", input.image}, {"Cmd", expand_placeholders(entry.argv, paths, request.dry_run)},
      {"Env", env},           {"Labels", input.labels},
      {"AttachStdin", false}, {"AttachStdout", true},
      {"AttachStderr", true}, {"OpenStdin", false},
      {"Tty", false},         {"HostConfig", host_config},
  };
  if (entry.entrypoint) {
    plan.create_body["Entrypoint"] = expand_placeholders(*entry.entrypoint, paths, request.dry_run);
  }
  if (!input.user.empty()) {
    plan.create_body["User"] = input.user;
  }
  plan.facts = {
      {"name", plan.name},
      {"network", entry.network},
      {"user",
       {{"mode", entry.user},
        {"container_user", input.user.empty() ? "(image default)" : input.user},
        {"groups", input.groups}}},
      {"mounts", mount_facts},
      {"argv", plan.create_body["Cmd"]},
      {"env", env},
      {"security", {{"cap_drop", {"ALL"}}, {"no_new_privileges", true}, {"read_only_rootfs", true}, {"init", true}}},
  };
  add_resource_facts(plan.facts["security"], entry.resources);
  if (entry.entrypoint) {
    plan.facts["entrypoint"] = plan.create_body["Entrypoint"];
  }
  return plan;
}

} // namespace mdivicom::container
