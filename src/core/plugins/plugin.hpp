#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace mdivicom {

// Where a plugin registration came from, for normalization and messages.
struct PluginOrigin
{
  std::string manifest_path; // set for entry manifests
  std::string entry_point;   // "module:attr", set for Python entry points
  std::string fallback_id;   // the entry point's name: the id when the plugin gives none
};

// One discovered plugin: the normalized object that `plugins info` prints.
struct Plugin
{
  nlohmann::json object;

  std::string id() const;
  std::string publisher() const; // "" when none
  std::string kind() const;      // "python", "container" or "error"
  std::string version() const;
  std::string ref() const;    // "publisher/id", or "id" without a publisher
  std::string origin() const; // the manifest path or entry point, for messages
  bool is_error() const { return kind() == "error"; }
  const nlohmann::json& entry() const; // the "entry" object, or an empty object
};

// What a plain listing shows of a plugin, and all the catalog needs to tell plugins apart:
// cheap to keep in a cache, unlike the whole object.
struct PluginSummary
{
  std::string publisher;
  std::string id;
  std::string kind;
  std::string version;
  std::string origin;
  std::string error; // an error plugin's reason

  static PluginSummary of(const Plugin& plugin);
  std::string ref() const;
  bool is_error() const { return kind == "error"; }
};

// The reference's normalization: meta keys lifted to the top level when absent there,
// entry.callable copied to run_ref, id from the entry point's name when missing, and the
// origin recorded (entry_point / manifest_path). Accepts the flat legacy shape too.
Plugin normalize_plugin(nlohmann::json raw, const PluginOrigin& origin);

// A registration that could not be loaded: listed with kind "error" and the reason.
Plugin error_plugin(const PluginOrigin& origin, const std::string& id, const std::string& message);

// True for ids and publishers of the slug form: [a-z0-9][a-z0-9._-]*, at most 128 characters.
bool is_valid_slug(const std::string& text);

} // namespace mdivicom
