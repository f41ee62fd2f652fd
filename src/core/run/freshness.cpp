#include "core/run/freshness.hpp"

#include "core/hash/sha256.hpp"
#include "core/json/bounded.hpp"
#include "core/records/outputs_check.hpp"
#include "core/records/run_order.hpp"
#include "core/records/scan.hpp"
#include "core/util/fs.hpp"
#include "core/util/join.hpp"
#include "core/util/text_bytes.hpp"

#include <map>
#include <optional>

namespace mdivicom {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr size_t k_names_shown = 3;

// "a, b, c and 2 more"
std::string some_names(const std::vector<std::string>& names)
{
  std::vector<std::string> shown;
  for (size_t i = 0; i < names.size() && i < k_names_shown; ++i) {
    shown.push_back(printable(names[i]));
  }
  std::string text = join(shown, ", ");
  if (names.size() > k_names_shown) {
    text += " and " + std::to_string(names.size() - k_names_shown) + " more";
  }
  return text;
}

std::string short_value(const json& value)
{
  std::string text = value.is_null() ? "null" : value.dump();
  return text.size() > 40 ? text.substr(0, 39) + "…" : text;
}

std::string short_id(const json& value)
{
  if (!value.is_string()) {
    return value.is_null() ? "none" : short_value(value);
  }
  const std::string text = value.get<std::string>();
  const size_t colon = text.find(':');
  const size_t keep = colon == std::string::npos ? 12 : colon + 1 + 12;
  return text.size() > keep ? text.substr(0, keep) + "…" : text;
}

// Leaves of a JSON value by their path ("a.b"); arrays are leaves.
void flatten(const json& value, const std::string& path, std::map<std::string, json>& leaves)
{
  if (value.is_object() && !value.empty()) {
    for (const auto& [key, member] : value.items()) {
      flatten(member, path.empty() ? key : path + "." + key, leaves);
    }
  } else {
    leaves[path] = value;
  }
}

// Entries keyed by a name, with a value that changes with the content.
using Listing = std::map<std::string, std::string>;

// "2 modified (a, b), 1 added (c)"; empty when the listings are equal.
std::string listing_changes(const Listing& before, const Listing& now, const char* noun)
{
  std::vector<std::string> modified, added, removed;
  for (const auto& [name, value] : now) {
    auto old = before.find(name);
    if (old == before.end()) {
      added.push_back(name);
    } else if (old->second != value) {
      modified.push_back(name);
    }
  }
  for (const auto& [name, value] : before) {
    if (!now.contains(name)) {
      removed.push_back(name);
    }
  }
  std::vector<std::string> parts;
  auto count = [&](const std::vector<std::string>& names, const char* what) {
    if (!names.empty()) {
      parts.push_back(std::to_string(names.size()) + " " + noun + (names.size() == 1 ? " " : "s ") + what + " (" +
                      some_names(names) + ")");
    }
  };
  count(modified, "modified");
  count(added, "added");
  count(removed, "removed");
  return join(parts, ", ");
}

// A fingerprint line [path, size, sha256] (or [path, "<problem>"]) by its path.
Listing dataset_listing(const std::vector<std::string>& lines)
{
  Listing listing;
  for (const std::string& line : lines) {
    json entry = parse_json_bounded(line, false);
    if (!entry.is_array() || entry.empty()) {
      continue;
    }
    const json& path = entry[0];
    std::string name = path.is_string() ? path.get<std::string>() : path.dump();
    entry.erase(0);
    listing[name] = entry.dump();
  }
  return listing;
}

Listing code_listing(const std::vector<CodeFile>& files)
{
  Listing listing;
  for (const CodeFile& file : files) {
    listing[file.path] = file.hash;
  }
  return listing;
}

std::string fingerprint_of(const std::vector<std::string>& lines)
{
  Sha256 hash;
  for (const std::string& line : lines) {
    hash.update(line);
    hash.update("\n");
  }
  return hash.hex_digest();
}

class Comparison
{
public:
  Comparison(const fs::path& runs_dir, const std::string& run_id, const json& record, const KeyedRun& run)
    : m_inputs_path(inputs_file_path(runs_dir, run_id)), m_run_id(run_id), m_record(record), m_run(run)
  {}

  std::vector<std::string> reasons()
  {
    const std::string status = m_record.value("status", std::string("unknown"));
    if (status != "succeeded") {
      std::string reason = "previous run " + status;
      if (m_record.contains("error") && m_record["error"].is_object()) {
        reason += " (" + printable(m_record["error"].value("type", std::string())) + ")";
      }
      m_reasons.push_back(reason);
    }
    const json key = m_record.value("key", json());
    if (!key.is_object() || !key.contains("parts") || !key["parts"].is_object()) {
      m_reasons.push_back("run " + m_run_id + " was recorded without a run key (by an older mdivicom)");
      return m_reasons;
    }
    if (key.value("sha256", "") == m_run.key.sha256) {
      return m_reasons;
    }
    const json& then = key["parts"];
    const json& now = m_run.key.parts;
    compare_plugin(then.value("plugin", json()), now["plugin"]);
    compare_code(then.value("code", json()), now["code"]);
    if (then.value("config_sha256", json()) != now["config_sha256"]) {
      compare_config();
    }
    compare_dataset(then.value("dataset", json()), now["dataset"]);
    compare_options(then.value("options", json()), now["options"]);
    if (m_reasons.empty()) {
      m_reasons.push_back("run key changed: " + short_id(key.value("sha256", json())) + " → " +
                          short_id(m_run.key.sha256));
    }
    return m_reasons;
  }

private:
  const StoredInputs* stored()
  {
    if (!m_stored_read) {
      m_stored_read = true;
      if (auto inputs = read_inputs_file(m_inputs_path, m_run_id)) {
        m_stored = std::move(*inputs);
      }
    }
    return m_stored ? &*m_stored : nullptr;
  }

  void compare_plugin(const json& then, const json& now)
  {
    if (then.value("version", json()) != now["version"]) {
      m_reasons.push_back("plugin changed: " + short_value(then.value("version", json())) + " → " +
                          short_value(now["version"]));
    }
    for (const char* field : {"publisher", "id", "kind"}) {
      if (then.value(field, json()) != now[field]) {
        m_reasons.push_back(std::string("plugin ") + field + " changed: " + short_value(then.value(field, json())) +
                            " → " + short_value(now[field]));
      }
    }
  }

  void compare_code(const json& then, const json& now)
  {
    if (then == now) {
      return;
    }
    if (!then.is_object() || !now.is_object()) {
      m_reasons.push_back(std::string("plugin code ") + (now.is_null() ? "can no longer be identified" : "changed"));
      return;
    }
    if (then.contains("image_id") || now.contains("image_id")) {
      m_reasons.push_back("image changed: " + short_id(then.value("image_id", json())) + " → " +
                          short_id(now.value("image_id", json())));
    }
    if (then.value("interpreter", json()) != now.value("interpreter", json())) {
      m_reasons.push_back("Python changed: " + short_value(then.value("interpreter", json())) + " → " +
                          short_value(now.value("interpreter", json())));
    }
    json then_rest = then;
    json now_rest = now;
    for (const char* known : {"image_id", "interpreter", "image"}) {
      then_rest.erase(known);
      now_rest.erase(known);
    }
    if (then_rest == now_rest) {
      return;
    }
    std::string changes;
    if (const StoredInputs* inputs = stored()) {
      changes = listing_changes(code_listing(inputs->code_files), code_listing(m_run.key.code_files), "file");
    }
    m_reasons.push_back("plugin code changed" + (changes.empty() ? std::string() : ": " + changes));
  }

  void compare_config()
  {
    std::map<std::string, json> then, now;
    flatten(m_record.value("config", json::object()), "", then);
    flatten(m_run.config, "", now);
    std::vector<std::string> changes;
    for (const auto& [path, value] : now) {
      auto old = then.find(path);
      if (old == then.end()) {
        changes.push_back("`" + printable(path) + "` added (" + short_value(value) + ")");
      } else if (old->second != value) {
        changes.push_back("`" + printable(path) + "` " + short_value(old->second) + " → " + short_value(value));
      }
    }
    for (const auto& [path, value] : then) {
      if (!now.contains(path)) {
        changes.push_back("`" + printable(path) + "` removed");
      }
    }
    m_reasons.push_back("config changed: " + (changes.empty() ? std::string("a secret value") : join(changes, ", ")));
  }

  void compare_dataset(const json& then, const json& now)
  {
    const json mode_then = then.value("mode", json());
    if (now.value("mode", "") == "off" || mode_then == "off") {
      m_reasons.push_back("the dataset's identity is not recorded (--dataset-hash off): cannot tell whether it "
                          "changed");
      return;
    }
    if (mode_then != now["mode"]) {
      m_reasons.push_back("--dataset-hash changed: " + short_value(mode_then) + " → " + short_value(now["mode"]));
      return;
    }
    if (then.value("fingerprint_sha256", json()) == now["fingerprint_sha256"]) {
      return;
    }
    const StoredInputs* inputs = stored();
    if (inputs == nullptr || fingerprint_of(inputs->dataset_lines) != then.value("fingerprint_sha256", "")) {
      m_reasons.push_back("dataset changed (run " + m_run_id + "'s list of its files is missing or damaged)");
      return;
    }
    std::string changes =
        listing_changes(dataset_listing(inputs->dataset_lines), dataset_listing(m_run.key.dataset_lines), "file");
    m_reasons.push_back("dataset changed" + (changes.empty() ? std::string() : ": " + changes));
  }

  void compare_options(const json& then, const json& now)
  {
    if (then.value("dry_run", json()) != now["dry_run"]) {
      m_reasons.push_back(now["dry_run"] == true ? "a dry run now, a real run then" : "a real run now, a dry run then");
    }
    const json entry_then = then.value("entry", json::object());
    const json& entry_now = now["entry"];
    std::vector<std::string> fields;
    for (const auto& [field, value] : entry_now.items()) {
      if (!entry_then.contains(field) || entry_then[field] != value) {
        fields.push_back(field);
      }
    }
    for (const auto& [field, value] : entry_then.items()) {
      if (!entry_now.contains(field)) {
        fields.push_back(field);
      }
    }
    if (!fields.empty()) {
      m_reasons.push_back("plugin entry changed: " + some_names(fields));
    }
  }

  fs::path m_inputs_path;
  const std::string& m_run_id;
  const json& m_record;
  const KeyedRun& m_run;
  std::vector<std::string> m_reasons;
  bool m_stored_read = false;
  std::optional<StoredInputs> m_stored;
};

std::string outputs_reason(const std::vector<Mismatch>& mismatches)
{
  std::vector<std::string> names;
  for (const Mismatch& mismatch : mismatches) {
    names.push_back(mismatch.path + " (" + mismatch.kind + ")");
  }
  return "outputs modified since the run: " + some_names(names);
}

} // namespace

std::string FreshnessCheck::explanation() const
{
  if (state == Freshness::up_to_date) {
    return "up to date (run " + run_id + ")";
  }
  return join(reasons, "; ");
}

FreshnessCheck check_freshness(const fs::path& out_root, const std::string& plugin_id, const KeyedRun& run,
                               FileHashCache& cache)
{
  FreshnessCheck check;
  if (is_missing_or_empty_dir(out_root / plugin_id)) {
    check.reasons.push_back("no outputs in " + printable((out_root / plugin_id).string()) + " yet");
    return check; // the common first run reads no record
  }
  std::optional<RecordFile> latest;
  std::optional<RunOrder> latest_order;
  for (RecordFile& file : scan_run_records(out_root)) {
    if (!file.error.empty() || !wrote_output_dir(file.record) || record_outputs_root(file.record) != plugin_id) {
      continue;
    }
    RunOrder order = record_run_order(file.run_id, file.record);
    if (!latest_order || *latest_order < order) {
      latest_order = order;
      latest = std::move(file);
    }
  }
  if (!latest) {
    check.state = Freshness::unrecorded_outputs;
    check.reasons.push_back(printable((out_root / plugin_id).string()) + " holds files that no run record describes");
    return check;
  }
  check.run_id = latest->run_id;
  check.reasons = Comparison(out_root / "_runs", latest->run_id, latest->record, run).reasons();
  if (check.reasons.empty()) {
    auto changed = outputs_changed_since(out_root, latest->record, cache);
    if (!changed) {
      check.reasons.push_back("the outputs of run " + latest->run_id + " cannot be checked: " + changed.error());
    } else if (!changed->empty()) {
      check.reasons.push_back(outputs_reason(*changed));
    }
  }
  check.state = check.reasons.empty() ? Freshness::up_to_date : Freshness::out_of_date;
  return check;
}

} // namespace mdivicom
