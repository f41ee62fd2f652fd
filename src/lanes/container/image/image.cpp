#include "lanes/container/image/image.hpp"

#include "core/util/interrupt.hpp"
#include "core/util/text_bytes.hpp"

#include <cctype>

namespace mdivicom::container {

namespace {

bool is_hex(std::string_view text)
{
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// The first error of a progress stream, or of the HTTP answer itself.
std::string progress_failure(const HttpResponse& response, const Engine& engine)
{
  if (!response.transport_ok()) {
    return engine.lost_message(response.error);
  }
  auto messages = parse_json_stream(response.body);
  std::string error = stream_error(messages);
  if (!error.empty()) {
    return error;
  }
  if (response.status < 200 || response.status >= 300) {
    for (const auto& message : messages) {
      if (message.is_object() && message.contains("message")) {
        return "HTTP " + std::to_string(response.status) + ": " + message.value("message", "");
      }
    }
    return "HTTP " + std::to_string(response.status) + ": " + response.body;
  }
  return "";
}

std::string trimmed(std::string text)
{
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.pop_back();
  }
  return text;
}

} // namespace

Result<ImageRef> ImageRef::parse(std::string_view text)
{
  ImageRef ref;
  ref.text = std::string(text);
  std::string rest(text);
  auto at = rest.find('@');
  if (at != std::string::npos) {
    ref.digest = rest.substr(at + 1);
    rest.resize(at);
    if (ref.digest.rfind("sha256:", 0) != 0 || ref.digest.size() != 7 + 64 || !is_hex(ref.digest.substr(7))) {
      return Failure{"image " + ref.text + ": a pinned image needs name@sha256:<64 lowercase hex digits>"};
    }
  }
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    ref.tag = rest.substr(colon + 1);
    rest.resize(colon);
  }
  ref.name = rest;
  if (ref.name.empty() || (colon != std::string::npos && ref.tag.empty() && ref.digest.empty()) ||
      ref.name.find_first_of(" \t\n?#") != std::string::npos) {
    return Failure{"image " + ref.text + ": not an image reference (expected name[:tag][@sha256:digest])"};
  }
  return ref;
}

Result<PullPolicy> parse_pull_policy(const std::string& text)
{
  if (text.empty() || text == "missing") {
    return PullPolicy::missing;
  }
  if (text == "never") {
    return PullPolicy::never;
  }
  if (text == "always") {
    return PullPolicy::always;
  }
  return Failure{"--pull " + text + ": expected missing, never or always"};
}

nlohmann::json ResolvedImage::to_json() const
{
  nlohmann::json result = {
      {"ref", ref}, {"id", id}, {"repo_digests", repo_digests}, {"repo_tags", repo_tags}, {"source", source}};
  if (!archive.empty()) {
    result["archive"] = archive;
  }
  return result;
}

Result<nlohmann::json> inspect_image(const Engine& engine, const std::string& ref)
{
  ApiResult answer = engine.call("GET", Engine::api("/images/" + ref + "/json"));
  if (answer.not_found()) {
    return nlohmann::json();
  }
  if (!answer.ok()) {
    return Failure{"cannot inspect image " + ref + ": " + answer.error};
  }
  return answer.body;
}

Result<std::string> load_archive(const Engine& engine, const std::filesystem::path& archive)
{
  HttpRequest request("POST", Engine::api("/images/load?quiet=1"));
  request.content_type = "application/x-tar";
  request.upload = archive;
  request.cancelled = interrupt_requested;
  HttpResponse response = engine.send(request);
  if (interrupt_requested()) {
    return Failure{"interrupted while " + engine.info().name + " loaded " + archive.string()};
  }
  std::string failure = progress_failure(response, engine);
  if (!failure.empty()) {
    return Failure{"image archive " + archive.string() + " was refused by " + engine.info().name + ": " +
                   trimmed(failure) + "; rebuild it with 'docker save' or 'podman save'"};
  }
  return trimmed(response.body);
}

Result<std::string> import_rootfs(const Engine& engine, const std::filesystem::path& tarball, const std::string& repo,
                                  const std::string& tag)
{
  // Podman's compat import ignores the tag parameter and names the image repo:latest, so the
  // tag is set explicitly below and a :latest that the import invented is taken away again.
  std::string latest = repo + ":latest";
  auto latest_before = inspect_image(engine, latest);
  HttpRequest request(
      "POST", Engine::api("/images/create?fromSrc=-&repo=" + percent_encode(repo) + "&tag=" + percent_encode(tag)));
  request.content_type = "application/x-tar";
  request.upload = tarball;
  HttpResponse response = engine.send(request);
  std::string failure = progress_failure(response, engine);
  if (!failure.empty()) {
    return Failure{"importing " + tarball.string() + " into " + engine.info().name + " failed: " + trimmed(failure)};
  }
  std::string id;
  for (const auto& message : parse_json_stream(response.body)) {
    for (const char* key : {"id", "status"}) {
      if (message.is_object() && message.contains(key) && message[key].is_string() &&
          message[key].get<std::string>().rfind("sha256:", 0) == 0) {
        id = message[key].get<std::string>();
      }
    }
  }
  if (id.empty()) {
    return Failure{"importing " + tarball.string() + ": " + engine.info().name + " did not say which image it made"};
  }
  if (engine.is_podman() && tag != "latest") {
    if (auto tagged = tag_image(engine, id, repo, tag); !tagged) {
      return Failure{tagged.error()};
    }
    if (latest_before && latest_before->is_null()) {
      remove_image(engine, latest);
    }
  }
  return id;
}

Result<bool> tag_image(const Engine& engine, const std::string& image, const std::string& repo, const std::string& tag)
{
  ApiResult answer = engine.call(
      "POST", Engine::api("/images/" + image + "/tag?repo=" + percent_encode(repo) + "&tag=" + percent_encode(tag)));
  if (!answer.ok()) {
    return Failure{"cannot tag " + image + " as " + repo + ":" + tag + ": " + answer.error};
  }
  return true;
}

Result<bool> push_image(const Engine& engine, const std::string& name, const std::string& tag)
{
  // The engine wants credentials even for an open registry: an empty JSON object, base64.
  HttpRequest request("POST", Engine::api("/images/" + name + "/push?tag=" + percent_encode(tag)));
  request.headers = {"X-Registry-Auth: e30="};
  std::string failure = progress_failure(engine.send(request), engine);
  if (!failure.empty()) {
    return Failure{"pushing " + name + ":" + tag + " failed: " + trimmed(failure)};
  }
  return true;
}

Result<bool> remove_image(const Engine& engine, const std::string& ref)
{
  ApiResult answer = engine.call("DELETE", Engine::api("/images/" + ref + "?noprune=1"));
  if (!answer.ok() && !answer.not_found()) {
    return Failure{"cannot remove image " + ref + ": " + answer.error};
  }
  return !answer.not_found();
}

} // namespace mdivicom::container
