#include "core/resultbundle/writer_spec.hpp"

#include "core/resultbundle/glob.hpp"
#include "core/resultbundle/pytext.hpp"
#include "core/resultbundle/writer.hpp" // k_sidecar_name

#include "core/hash/file_hasher.hpp"
#include "core/util/utf8.hpp"
#include "core/util/tree_walk.hpp"
#include "core/util/utc_time.hpp"

#include <cerrno>

namespace mdivicom::resultbundle {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

Result<std::string> nonblank(const json& object, const char* key, const std::string& where)
{
  const json value = object.value(key, json());
  if (!is_nonblank_string(value)) {
    return Failure{where + "." + key + " must be a non-empty string"};
  }
  return value.get<std::string>();
}

Result<BundleRule> parse_rule(const json& item, const std::string& where)
{
  if (!item.is_object()) {
    return Failure{where + " must be an object"};
  }
  BundleRule rule;
  for (auto [key, field] : {std::pair{"glob", &rule.glob}, {"role", &rule.role}, {"format", &rule.format}}) {
    auto text = nonblank(item, key, where);
    if (!text) {
      return Failure{text.error()};
    }
    *field = std::move(*text);
  }
  if (auto problem = glob_problem(rule.glob)) {
    return Failure{where + ".glob '" + rule.glob + "': " + *problem};
  }
  const json required = item.value("required", json(false));
  if (!required.is_boolean()) {
    return Failure{where + ".required must be true or false"};
  }
  rule.required = required.get<bool>();
  rule.key_columns = item.value("key_columns", json());
  rule.time = item.value("time", json());
  if (!rule.key_columns.is_null() && !rule.key_columns.is_object()) {
    return Failure{where + ".key_columns must be an object mapping keys to column names"};
  }
  if (!rule.time.is_null() && !rule.time.is_object()) {
    return Failure{where + ".time must be an object"};
  }
  return rule;
}

bool is_own_file(const std::string& path)
{
  return path == k_sidecar_name || path.rfind(".resultbundle.json.", 0) == 0;
}

} // namespace

Result<std::optional<BundleSpec>> bundle_spec_of(const json& plugin_object)
{
  std::string where = "meta.resultbundle";
  json declared;
  if (plugin_object.is_object()) {
    const json meta = plugin_object.value("meta", json());
    if (meta.is_object() && meta.contains("resultbundle")) {
      declared = meta["resultbundle"];
    } else if (plugin_object.contains("resultbundle")) {
      declared = plugin_object["resultbundle"];
      where = "resultbundle";
    }
  }
  if (declared.is_null()) {
    return std::optional<BundleSpec>();
  }
  if (!declared.is_object()) {
    return Failure{where + " must be an object"};
  }
  BundleSpec spec;
  auto type = nonblank(declared, "type", where);
  auto version = nonblank(declared, "schema_version", where);
  if (!type || !version) {
    return Failure{!type ? type.error() : version.error()};
  }
  spec.type = *type;
  spec.schema_version = *version;
  // The sidecar needs one; a plugin that does not say gets an honest "unspecified".
  spec.time_reference = declared.value("time_reference", json({{"kind", "unspecified"}, {"unit", "unspecified"}}));
  if (!spec.time_reference.is_object()) {
    return Failure{where + ".time_reference must be an object with kind and unit"};
  }
  for (const char* key : {"kind", "unit"}) {
    if (auto text = nonblank(spec.time_reference, key, where + ".time_reference"); !text) {
      return Failure{text.error()};
    }
  }
  const json files = declared.value("files", json());
  if (!files.is_array() || files.empty()) {
    return Failure{where + ".files must be a non-empty array of rules {glob, role, format, required}"};
  }
  for (size_t i = 0; i < files.size(); ++i) {
    auto rule = parse_rule(files[i], where + ".files[" + std::to_string(i) + "]");
    if (!rule) {
      return Failure{rule.error()};
    }
    spec.rules.push_back(std::move(*rule));
  }
  return std::optional<BundleSpec>(std::move(spec));
}

Result<json> build_sidecar(const BundleSpec& spec, const std::filesystem::path& plugin_out_dir, const json& producer)
{
  std::vector<TreeEntry> entries;
  try {
    std::error_code missing;
    if (fs::exists(fs::symlink_status(plugin_out_dir, missing)) || missing.value() != ENOENT) {
      entries = walk_tree(plugin_out_dir); // a plugin that wrote nothing may leave no directory
    }
  } catch (const Error& error) {
    return Failure{std::string("cannot list the plugin's outputs for resultbundle.json: ") + error.what()};
  }
  std::vector<bool> rule_matched(spec.rules.size(), false);
  std::vector<HashJob> jobs;
  std::vector<const BundleRule*> job_rules;
  for (const auto& entry : entries) {
    if (entry.type != EntryType::file || entry.is_link || !entry.error.empty() || is_own_file(entry.path) ||
        !is_valid_utf8(entry.path)) {
      continue;
    }
    const BundleRule* owner = nullptr;
    for (size_t i = 0; i < spec.rules.size(); ++i) {
      if (glob_matches(spec.rules[i].glob, entry.path)) {
        rule_matched[i] = true;
        owner = owner != nullptr ? owner : &spec.rules[i];
      }
    }
    if (owner != nullptr) {
      jobs.push_back(HashJob{entry.path, entry.size, {}, 0, {}});
      job_rules.push_back(owner);
    }
  }
  std::string missing;
  for (size_t i = 0; i < spec.rules.size(); ++i) {
    if (spec.rules[i].required && !rule_matched[i]) {
      missing += (missing.empty() ? "" : "; ") + std::string("files[") + std::to_string(i) + "] (glob '" +
                 spec.rules[i].glob + "', role '" + spec.rules[i].role + "')";
    }
  }
  if (!missing.empty()) {
    return Failure{"required output missing: meta.resultbundle." + missing + " matched no file in " +
                   plugin_out_dir.string()};
  }
  HashOptions options;
  options.what = "resultbundle files";
  hash_files(plugin_out_dir, jobs, options);
  json files = json::array();
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (!jobs[i].error.empty()) {
      return Failure{"cannot hash " + (plugin_out_dir / jobs[i].path).string() + ": " + jobs[i].error};
    }
    const BundleRule& rule = *job_rules[i];
    json file = {{"path", jobs[i].path},      {"role", rule.role},    {"format", rule.format},
                 {"required", rule.required}, {"size", jobs[i].size}, {"sha256", jobs[i].sha256}};
    if (!rule.key_columns.is_null())
      file["key_columns"] = rule.key_columns;
    if (!rule.time.is_null())
      file["time"] = rule.time;
    files.push_back(std::move(file));
  }
  return json{
      {"resultbundle_type", spec.type},
      {"schema_version", spec.schema_version},
      {"time_reference", spec.time_reference},
      {"created_at", format_utc(utc_now_micros(), UtcFormat::seconds)},
      {"producer", producer},
      {"files", std::move(files)},
  };
}

} // namespace mdivicom::resultbundle
