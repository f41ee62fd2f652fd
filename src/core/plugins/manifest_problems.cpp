#include "core/plugins/manifest_problems.hpp"

#include "core/json/schema.hpp"
#include "core/json/schema_shape.hpp"
#include "core/util/memory_size.hpp"

#include <algorithm>

namespace mdivicom {

namespace {

// valijson's message, made specific where a user most often trips.
std::string friendly(const SchemaViolation& violation)
{
  const std::string& message = violation.message;
  auto got = message.find(" (got ");
  std::string value = got == std::string::npos ? "" : message.substr(got);
  bool pattern = violation.keyword == SchemaKeyword::pattern;
  if (pattern && (violation.pointer == "/meta/id" || violation.pointer == "/meta/publisher")) {
    return "must be a slug: lowercase letters, digits, '.', '_' or '-', starting with a letter or digit" + value;
  }
  if (pattern && violation.pointer == "/entry/callable") {
    return "must be 'module:function', e.g. 'my_package.run:run'" + value;
  }
  if (violation.pointer.empty() && violation.keyword == SchemaKeyword::type) {
    return "a manifest must be a JSON object {\"meta\": {...}, \"entry\": {...}}";
  }
  return message;
}

// meta.config_schema when it is an object, else nullptr.
const nlohmann::json* manifest_config_schema(const nlohmann::json& manifest)
{
  auto meta = manifest.is_object() ? manifest.find("meta") : manifest.end();
  if (meta == manifest.end() || !meta->is_object()) {
    return nullptr;
  }
  auto schema = meta->find("config_schema");
  return schema != meta->end() && schema->is_object() ? &*schema : nullptr;
}

// The value under `keys` when every node on the way is an object that has the key; else null
// (the schema's own violations say what is wrong with the way there).
nlohmann::json member_at(const nlohmann::json& document, std::initializer_list<const char*> keys)
{
  const nlohmann::json* node = &document;
  for (const char* key : keys) {
    if (!node->is_object() || !node->contains(key)) {
      return nullptr;
    }
    node = &(*node)[key];
  }
  return *node;
}

bool has_problem_at(const std::vector<ManifestProblem>& problems, std::string_view pointer)
{
  return std::any_of(problems.begin(), problems.end(),
                     [&](const ManifestProblem& problem) { return problem.pointer.starts_with(pointer); });
}

} // namespace

std::string to_string(const ManifestProblem& problem)
{
  return problem.pointer.empty() ? problem.message : problem.pointer + ": " + problem.message;
}

std::vector<ManifestProblem> manifest_problems(const nlohmann::json& manifest)
{
  std::vector<ManifestProblem> problems;
  for (const auto& violation : JsonSchema::builtin("plugin-manifest").validate(manifest)) {
    problems.push_back({violation.pointer.empty() ? "/" : violation.pointer, friendly(violation)});
  }
  // The schema's pattern cannot say "at least 6m" of a string; run's rule, the same everywhere
  // (the container lane's resources.cpp). Checked unless the schema already refused the value
  // (one problem, said once).
  const struct
  {
    const char* name;
    int64_t minimum;
    const char* minimum_text;
  } sizes[] = {{"memory", k_min_memory_bytes, "6m"}, {"shm_size", 1 << 20, "1m"}, {"tmp_size", 1 << 20, "1m"}};
  for (const auto& size : sizes) {
    const nlohmann::json value = member_at(manifest, {"entry", "resources", size.name});
    const std::string pointer = std::string("/entry/resources/") + size.name;
    if (!value.is_null() && !has_problem_at(problems, pointer)) {
      auto bytes = memory_size_bytes(value);
      if (!bytes || *bytes < size.minimum) {
        problems.push_back(
            {pointer, std::string("expected bytes or a size like 512m (at least ") + size.minimum_text + ")"});
      }
    }
  }
  // A schema valijson would recurse on forever, or could not compile, is refused here, so that
  // listing, validate and run agree on it.
  const nlohmann::json* config_schema = manifest_config_schema(manifest);
  if (config_schema != nullptr && !has_problem_at(problems, "/meta/config_schema")) {
    if (auto shape = schema_shape(*config_schema); !shape) {
      problems.push_back({"/meta/config_schema", shape.error()});
    } else {
      try {
        JsonSchema compiled(*config_schema);
      } catch (const std::exception& e) {
        problems.push_back({"/meta/config_schema", e.what()});
      }
    }
  }
  return problems;
}

} // namespace mdivicom
