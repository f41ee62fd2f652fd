#include "core/resultbundle/writer.hpp"

#include "core/resultbundle/bundle.hpp"
#include "core/resultbundle/writer_spec.hpp"
#include "core/util/fd_write.hpp"
#include "core/util/text_bytes.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom::resultbundle {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// A field of a normalized plugin object (lifted to the top level) or of a raw registration.
std::string plugin_field(const json& plugin, const char* key)
{
  for (const json* object : {&plugin, plugin.contains("meta") ? &plugin["meta"] : nullptr}) {
    if (object != nullptr && object->is_object() && object->contains(key) && (*object)[key].is_string()) {
      return (*object)[key].get<std::string>();
    }
  }
  return "";
}

json producer_of(const json& plugin, const std::string& run_id)
{
  const std::string publisher = plugin_field(plugin, "publisher");
  const std::string id = plugin_field(plugin, "id");
  return {{"tool_ref", publisher.empty() ? id : publisher + "/" + id},
          {"tool_version", plugin_field(plugin, "version")},
          {"pipeline_run_id", run_id}};
}

json failed(const std::string& error)
{
  return {{"action", "failed"}, {"ok", false}, {"fail_run", true}, {"error", error}};
}

// Writes `content` as `target` unless something is already there (then false, errno EEXIST).
// Through a temporary file and link(2), so a reader never sees half a sidecar.
Result<bool> write_new_file(const fs::path& target, const std::string& content)
{
  std::string temp = (target.parent_path() / ".resultbundle.json.XXXXXX").string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) {
    return Failure{"cannot write " + target.string() + ": " + std::strerror(errno)};
  }
  const bool written = ::fchmod(fd, 0644) == 0 && write_all(fd, content) && ::fsync(fd) == 0;
  const int write_errno = errno;
  ::close(fd);
  if (!written) {
    ::unlink(temp.c_str());
    return Failure{"cannot write " + target.string() + ": " + std::strerror(write_errno)};
  }
  const int linked = ::link(temp.c_str(), target.c_str());
  const int link_errno = errno;
  ::unlink(temp.c_str());
  if (linked == 0) {
    return true;
  }
  if (link_errno == EEXIST) {
    return false;
  }
  // File systems without hard links: create exclusively and write in place.
  const int direct = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (direct < 0) {
    if (errno == EEXIST)
      return false;
    return Failure{"cannot write " + target.string() + ": " + std::strerror(errno)};
  }
  const bool ok = write_all(direct, content) && ::fsync(direct) == 0;
  ::close(direct);
  if (!ok) {
    return Failure{"cannot write " + target.string() + ": " + std::strerror(errno)};
  }
  return true;
}

json validate_plugin_sidecar(const fs::path& sidecar, const Policy& policy, const ResolveDirs& dirs)
{
  BundleValidation result;
  struct stat info
  {};
  if (::lstat(sidecar.c_str(), &info) == 0 && S_ISLNK(info.st_mode)) {
    result.report.mode = policy.validation_mode;
    result.report.add_error("Sidecar is a symbolic link: " + sidecar.string() +
                            "; a plugin must write resultbundle.json as a regular file");
  } else {
    ValidateOptions options;
    options.policy = &policy;
    result = validate_resultbundle(sidecar, dirs, options);
  }
  json fragment = {
      {"action", "validated"},
      {"path", result.resolved ? result.resolved->sidecar_path : fs::absolute(sidecar).string()},
      {"ok", result.valid()},
      {"fail_run", !result.valid() && !policy.allow_fallback},
      {"policy", policy.name},
      {"report", result.to_json()},
  };
  if (!result.valid() && policy.allow_fallback) {
    const auto& errors = result.report.errors;
    std::string reason = "resultbundle.json failed " + policy.name + " validation: " + errors.front();
    if (errors.size() > 1) {
      reason += " (and " + std::to_string(errors.size() - 1) + " more error(s))";
    }
    fragment["fallback_reason"] = reason;
  }
  return fragment;
}

} // namespace

json finalize_resultbundle(const json& plugin_object, const fs::path& plugin_out_dir, const std::string& run_id,
                           std::string_view policy_name, const std::optional<fs::path>& dataset_dir)
{
  const Policy* policy = policy_by_name(policy_name);
  if (policy == nullptr) {
    throw usage_error("unknown resultbundle policy '" + std::string(policy_name) +
                      "'; choose one of: " + policy_names());
  }
  ResolveDirs dirs;
  dirs.dataset_dir = dataset_dir;
  dirs.out_dir = plugin_out_dir;
  const fs::path sidecar = plugin_out_dir / k_sidecar_name;
  struct stat info
  {};
  if (::lstat(sidecar.c_str(), &info) == 0) {
    return validate_plugin_sidecar(sidecar, *policy, dirs);
  }

  auto spec = bundle_spec_of(plugin_object);
  if (!spec) {
    return failed("the plugin's resultbundle declaration is malformed: " + spec.error());
  }
  if (!*spec) {
    return {{"action", "none"},
            {"ok", true},
            {"fail_run", false},
            {"reason", "the plugin declares no meta.resultbundle and wrote no resultbundle.json"}};
  }
  auto document = build_sidecar(**spec, plugin_out_dir, producer_of(plugin_object, run_id));
  if (!document) {
    return failed(document.error());
  }
  const size_t file_count = (*document)["files"].size();
  if (file_count == 0) {
    return {
        {"action", "none"},
        {"ok", true},
        {"fail_run", false},
        {"reason", "no output matched the meta.resultbundle rules (none is required); no resultbundle.json written"}};
  }
  auto written = write_new_file(sidecar, json_file_text(*document));
  if (!written) {
    return failed(written.error());
  }
  if (!*written) { // the plugin's own sidecar appeared after all: it wins
    return validate_plugin_sidecar(sidecar, *policy, dirs);
  }
  ValidateOptions strict;
  strict.mode = ValidationMode::strict;
  const BundleValidation result = validate_resultbundle(sidecar, dirs, strict);
  return {
      {"action", "written"},
      {"path", result.resolved ? result.resolved->sidecar_path : fs::absolute(sidecar).string()},
      {"ok", result.valid()},
      {"fail_run", !result.valid()},
      {"file_count", file_count},
      {"report", result.to_json()},
  };
}

} // namespace mdivicom::resultbundle
