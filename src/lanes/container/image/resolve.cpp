// Image identity: which exact image a run uses, and where it came from.
#include "lanes/container/image/image.hpp"

#include "core/util/interrupt.hpp"
#include "lanes/container/image/archive.hpp"
#include "core/util/text_bytes.hpp"

namespace mdivicom::container {

namespace {

std::vector<std::string> strings(const nlohmann::json& object, const char* key)
{
  std::vector<std::string> result;
  if (object.contains(key) && object[key].is_array()) {
    for (const auto& item : object[key]) {
      if (item.is_string()) {
        result.push_back(item.get<std::string>());
      }
    }
  }
  return result;
}

ResolvedImage resolved(const ImageRef& ref, const nlohmann::json& inspect, std::string source)
{
  return ResolvedImage{.ref = ref.text,
                       .id = inspect.value("Id", ""),
                       .repo_digests = strings(inspect, "RepoDigests"),
                       .repo_tags = strings(inspect, "RepoTags"),
                       .source = std::move(source),
                       .archive = {}};
}

// A pin matches the image ID (archives, local builds) or one of its registry digests.
bool matches_pin(const ResolvedImage& image, const std::string& digest)
{
  if (image.id == digest) {
    return true;
  }
  for (const auto& repo_digest : image.repo_digests) {
    auto at = repo_digest.rfind('@');
    if (at != std::string::npos && repo_digest.substr(at + 1) == digest) {
      return true;
    }
  }
  return false;
}

std::string pull_hint(const Engine& engine, const std::string& error, const ImageRef& ref)
{
  if (engine.is_podman() && error.find("HTTP response to HTTPS client") != std::string::npos) {
    auto slash = ref.name.find('/');
    return "; the registry speaks plain HTTP: list it as insecure in registries.conf ([[registry]] location=\"" +
           ref.name.substr(0, slash) + "\" insecure=true)";
  }
  return "; check the name, the registry and your network, or give the plugin an image_archive";
}

Result<bool> pull(const Engine& engine, const ImageRef& ref, const ProgressFn& progress)
{
  std::string tag = ref.pinned() ? ref.digest : (ref.tag.empty() ? "latest" : ref.tag);
  if (progress) {
    progress("pulling " + ref.text + " with " + engine.info().name);
  }
  HttpRequest request(
      "POST", Engine::api("/images/create?fromImage=" + percent_encode(ref.name) + "&tag=" + percent_encode(tag)));
  request.headers = {"X-Registry-Auth: e30="};
  request.cancelled = interrupt_requested; // a registry that stopped answering must not hold Ctrl-C
  HttpResponse response = engine.send(request);
  if (interrupt_requested()) {
    return Failure{"interrupted while " + engine.info().name + " pulled " + ref.text};
  }
  if (!response.transport_ok()) {
    return Failure{engine.lost_message(response.error)};
  }
  auto messages = parse_json_stream(response.body);
  std::string error = stream_error(messages);
  if (error.empty() && response.status != 200) {
    error = messages.empty() || !messages[0].is_object() ? response.body : messages[0].value("message", response.body);
  }
  if (!error.empty()) {
    return Failure{"cannot pull image " + ref.text + ": " + error + pull_hint(engine, error, ref)};
  }
  return true;
}

Result<ResolvedImage> load(const Engine& engine, const ImageRef& ref, const std::filesystem::path& archive,
                           const ProgressFn& progress)
{
  auto summary = read_image_archive(archive);
  if (!summary) {
    return Failure{summary.error()};
  }
  if (ref.pinned() && summary->image_id != ref.digest) {
    return Failure{"image " + ref.text + " is pinned, but image_archive " + archive.string() + " holds image " +
                   summary->image_id + "; refusing to load a different image (fix the pin or the archive)"};
  }
  if (progress) {
    progress("loading " + ref.text + " from " + archive.string() + " into " + engine.info().name);
  }
  if (auto loaded = load_archive(engine, archive); !loaded) {
    return Failure{loaded.error()};
  }
  auto inspect = inspect_image(engine, summary->image_id);
  if (!inspect) {
    return Failure{inspect.error()};
  }
  if (inspect->is_null()) {
    return Failure{"image archive " + archive.string() + " was loaded, but " + engine.info().name + " has no image " +
                   summary->image_id + " afterwards; rebuild the archive"};
  }
  // Later runs find the image by the manifest's name when the archive carried another one.
  if (!ref.pinned()) {
    auto by_name = inspect_image(engine, ref.text);
    if (by_name && (by_name->is_null() || by_name->value("Id", "") != summary->image_id)) {
      if (auto tagged = tag_image(engine, summary->image_id, ref.name, ref.tag.empty() ? "latest" : ref.tag); !tagged) {
        return Failure{tagged.error()};
      }
      inspect = inspect_image(engine, summary->image_id);
    }
  }
  ResolvedImage image = resolved(ref, *inspect, "loaded");
  image.archive = archive.string();
  return image;
}

// The image as the engine has it now; null when absent. A pinned reference is also looked up
// as an image ID, which is how archives and local builds are pinned.
Result<nlohmann::json> find(const Engine& engine, const ImageRef& ref)
{
  auto found = inspect_image(engine, ref.text);
  if (found && found->is_null() && ref.pinned()) {
    found = inspect_image(engine, ref.digest);
  }
  return found;
}

} // namespace

Result<ResolvedImage> resolve_image(const Engine& engine, const ImageRef& ref, PullPolicy policy,
                                    const std::optional<std::filesystem::path>& archive, const ProgressFn& progress)
{
  std::optional<ResolvedImage> image;
  if (policy == PullPolicy::always) {
    if (auto pulled = pull(engine, ref, progress); !pulled) {
      return Failure{pulled.error()};
    }
  }
  auto found = find(engine, ref);
  if (!found) {
    return Failure{found.error()};
  }
  std::error_code error;
  bool archive_missing = archive && !std::filesystem::exists(*archive, error);
  if (!found->is_null()) {
    image = resolved(ref, *found, policy == PullPolicy::always ? "pulled" : "present");
  } else if (policy == PullPolicy::always) {
    return Failure{"image " + ref.text + " was pulled, but " + engine.info().name + " cannot find it by that name"};
  } else if (archive_missing) {
    // A manifest that names an archive is never pulled instead (the name may be no registry's):
    // shipped manifests name images built on this machine.
    return Failure{"image " + ref.text + " is not present in " + engine.info().name + " at " + engine.socket() +
                   ", and its image_archive " + archive->string() + " does not exist; load the image ('" +
                   engine.info().name + " load -i <archive>') or create the archive there"};
  } else if (archive) {
    auto loaded = load(engine, ref, *archive, progress);
    if (!loaded) {
      return Failure{loaded.error()};
    }
    image = *loaded;
  } else if (policy == PullPolicy::never) {
    return Failure{"image " + ref.text + " is not present in " + engine.info().name + " at " + engine.socket() +
                   " and --pull never forbids pulling it; load it ('" + engine.info().name +
                   " load -i <archive>') or run with --pull missing"};
  } else {
    if (auto pulled = pull(engine, ref, progress); !pulled) {
      return Failure{pulled.error()};
    }
    found = find(engine, ref);
    if (!found || found->is_null()) {
      return Failure{found ? "image " + ref.text + " was pulled, but cannot be found by that name" : found.error()};
    }
    image = resolved(ref, *found, "pulled");
  }
  if (image->id.empty()) {
    return Failure{"image " + ref.text + ": " + engine.info().name + " reported no image ID"};
  }
  if (ref.pinned() && !matches_pin(*image, ref.digest)) {
    return Failure{"image " + ref.text + " is pinned, but the image found is " + image->id + " with digests [" + [&] {
      std::string list;
      for (const auto& d : image->repo_digests) {
        list += (list.empty() ? "" : ", ") + d;
      }
      return list;
    }() + "]; refusing to run a different image than pinned"};
  }
  return *image;
}

} // namespace mdivicom::container
