#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/error.hpp"
#include "lanes/container/engine/engine.hpp"

namespace mdivicom::container {

// "registry:5000/ns/name:tag@sha256:<hex>", taken apart.
struct ImageRef
{
  std::string text;   // as written in the manifest
  std::string name;   // "registry:5000/ns/name"
  std::string tag;    // "" when none
  std::string digest; // "sha256:<64 hex>" when pinned, else ""

  static Result<ImageRef> parse(std::string_view text);
  bool pinned() const { return !digest.empty(); }
};

enum class PullPolicy { missing, never, always };
Result<PullPolicy> parse_pull_policy(const std::string& text); // "" means missing

// The exact image a run uses.
struct ResolvedImage
{
  std::string ref;
  std::string id; // "sha256:..."; containers are created from it
  std::vector<std::string> repo_digests;
  std::vector<std::string> repo_tags;
  std::string source;  // "present", "pulled" or "loaded"
  std::string archive; // the archive loaded, when source is "loaded"

  nlohmann::json to_json() const;
};

using ProgressFn = std::function<void(const std::string& line)>;

// Finds the image by name (and digest), pulls it or loads the manifest's archive as the policy
// says, and checks a pinned digest against the image found. Never runs anything.
Result<ResolvedImage> resolve_image(const Engine& engine, const ImageRef& ref, PullPolicy policy,
                                    const std::optional<std::filesystem::path>& archive, const ProgressFn& progress);

// Image operations behind resolve_image, also used to build test and example images.
Result<std::string> load_archive(const Engine& engine, const std::filesystem::path& archive); // -> image ID
Result<std::string> import_rootfs(const Engine& engine, const std::filesystem::path& tarball, const std::string& repo,
                                  const std::string& tag); // -> image ID
Result<bool> tag_image(const Engine& engine, const std::string& image, const std::string& repo, const std::string& tag);
Result<bool> push_image(const Engine& engine, const std::string& name, const std::string& tag);
Result<bool> remove_image(const Engine& engine, const std::string& ref);            // untags when others remain
Result<nlohmann::json> inspect_image(const Engine& engine, const std::string& ref); // null when absent

} // namespace mdivicom::container
