#include "core/plugins/plugin.hpp"

#include <algorithm>

namespace mdivicom {

namespace {

const char* const k_lifted_meta_keys[] = {
    "api_version", "id",      "kind",    "version", "description", "publisher",     "name",
    "homepage",    "license", "authors", "inputs",  "outputs",     "config_schema",
};

std::string string_field(const nlohmann::json& object, const char* key)
{
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace

std::string Plugin::id() const
{
  return string_field(object, "id");
}
std::string Plugin::publisher() const
{
  return string_field(object, "publisher");
}
std::string Plugin::kind() const
{
  return string_field(object, "kind");
}
std::string Plugin::version() const
{
  return string_field(object, "version");
}

std::string Plugin::ref() const
{
  std::string publisher_name = publisher();
  return publisher_name.empty() ? id() : publisher_name + "/" + id();
}

PluginSummary PluginSummary::of(const Plugin& plugin)
{
  return {plugin.publisher(), plugin.id(),     plugin.kind(),
          plugin.version(),   plugin.origin(), string_field(plugin.object, "error")};
}

std::string PluginSummary::ref() const
{
  return publisher.empty() ? id : publisher + "/" + id;
}

std::string Plugin::origin() const
{
  std::string manifest = string_field(object, "manifest_path");
  return manifest.empty() ? string_field(object, "entry_point") : manifest;
}

const nlohmann::json& Plugin::entry() const
{
  static const nlohmann::json empty = nlohmann::json::object();
  auto it = object.find("entry");
  return it != object.end() && it->is_object() ? *it : empty;
}

Plugin normalize_plugin(nlohmann::json raw, const PluginOrigin& origin)
{
  if (!raw.is_object()) {
    return error_plugin(origin, origin.fallback_id, "plugin registration is not a JSON object");
  }
  auto meta = raw.find("meta");
  if (meta != raw.end() && meta->is_object()) {
    for (const char* key : k_lifted_meta_keys) {
      auto value = meta->find(key);
      if (value != meta->end() && !raw.contains(key)) {
        raw[key] = *value;
      }
    }
  }
  auto entry = raw.find("entry");
  if (entry != raw.end() && entry->is_object()) {
    auto callable = entry->find("callable");
    if (callable != entry->end() && callable->is_string() && !raw.contains("run_ref")) {
      raw["run_ref"] = *callable;
    }
  }
  if (!raw.contains("id") && !origin.fallback_id.empty()) {
    raw["id"] = origin.fallback_id;
  }
  if (!origin.entry_point.empty()) {
    raw["entry_point"] = origin.entry_point;
  }
  if (!origin.manifest_path.empty()) {
    raw["manifest_path"] = origin.manifest_path;
  }
  return Plugin{std::move(raw)};
}

Plugin error_plugin(const PluginOrigin& origin, const std::string& id, const std::string& message)
{
  nlohmann::json object = {{"id", id}, {"kind", "error"}, {"error", message}};
  if (!origin.entry_point.empty()) {
    object["entry_point"] = origin.entry_point;
  }
  if (!origin.manifest_path.empty()) {
    object["manifest_path"] = origin.manifest_path;
  }
  return Plugin{std::move(object)};
}

// [a-z0-9][a-z0-9._-]*, at most 128 bytes. Written out: compiling a std::regex costs more than
// the rest of resolving a plugin.
bool is_valid_slug(const std::string& text)
{
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (text.empty() || text.size() > 128 || !lower_or_digit(text[0])) {
    return false;
  }
  return std::all_of(text.begin(), text.end(),
                     [&](char c) { return lower_or_digit(c) || c == '.' || c == '_' || c == '-'; });
}

} // namespace mdivicom
