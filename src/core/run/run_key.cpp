#include "core/run/run_key.hpp"

#include "core/hash/sha256.hpp"
#include "core/json/bounded.hpp"
#include "core/util/fs.hpp"

#include <string_view>

namespace mdivicom {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::string_view k_inputs_format = "mdivicom.inputs.v1";
constexpr std::uintmax_t k_max_inputs_bytes = std::uintmax_t{1} << 30;

json string_or_null(const std::string& text)
{
  return text.empty() ? json(nullptr) : json(text);
}

} // namespace

json RunKey::to_json() const
{
  return {{"sha256", sha256}, {"parts", parts}};
}

json entry_for_key(const json& entry)
{
  json kept = entry.is_object() ? entry : json::object();
  kept.erase("resources");
  kept.erase("image_archive");
  return kept;
}

RunKey make_run_key(const RunRequest& request, const std::string& config_hash, const json& dataset,
                    std::vector<std::string> dataset_lines, CodeIdentity code)
{
  const Plugin& plugin = request.plugin;
  json dataset_part = {{"mode", dataset.value("mode", "off")}};
  if (dataset.contains("fingerprint_sha256")) {
    dataset_part["fingerprint_sha256"] = dataset["fingerprint_sha256"];
  }
  RunKey key;
  key.parts = {
      {"plugin",
       {{"publisher", string_or_null(plugin.publisher())},
        {"id", plugin.id()},
        {"version", plugin.version()},
        {"kind", plugin.kind()}}},
      {"code", std::move(code.summary)},
      {"config_sha256", config_hash},
      {"dataset", std::move(dataset_part)},
      {"options", {{"dry_run", request.dry_run}, {"entry", entry_for_key(plugin.entry())}}},
  };
  key.sha256 = sha256_hex(key.parts.dump());
  key.dataset_lines = std::move(dataset_lines);
  key.code_files = std::move(code.files);
  return key;
}

fs::path inputs_file_path(const fs::path& runs_dir, const std::string& run_id)
{
  return runs_dir / (run_id + ".inputs.jsonl");
}

void write_inputs_file(const fs::path& path, const std::string& run_id, const RunKey& key)
{
  std::string text = json{{"format", k_inputs_format}, {"run_id", run_id}, {"key_sha256", key.sha256}}.dump() + "\n";
  for (const std::string& line : key.dataset_lines) {
    text.append("D ").append(line).push_back('\n');
  }
  for (const CodeFile& file : key.code_files) {
    text.append("C ").append(json::array({file.path, file.hash}).dump()).push_back('\n');
  }
  write_file_atomic(path, text, Durability::atomic);
}

Result<StoredInputs> read_inputs_file(const fs::path& path, const std::string& run_id)
{
  std::string text;
  try {
    text = read_file(path, k_max_inputs_bytes);
  } catch (const Error& e) {
    return Failure{e.what()};
  }
  return parse_inputs(text, run_id, path.string());
}

Result<StoredInputs> parse_inputs(std::string_view text, const std::string& run_id, const std::string& where)
{
  const std::string& path_text = where;
  std::string_view rest = text;
  auto next_line = [&rest]() {
    const size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    return line;
  };
  json header = parse_json_bounded(next_line(), false);
  if (!header.is_object() || header.value("format", "") != k_inputs_format || header.value("run_id", "") != run_id) {
    return Failure{path_text + " is not the inputs file of run " + run_id};
  }
  StoredInputs inputs;
  while (!rest.empty()) {
    std::string_view line = next_line();
    if (line.starts_with("D ")) {
      inputs.dataset_lines.emplace_back(line.substr(2));
    } else if (line.starts_with("C ")) {
      json file = parse_json_bounded(line.substr(2), false);
      if (!file.is_array() || file.size() != 2 || !file[0].is_string() || !file[1].is_string()) {
        return Failure{path_text + " has a damaged line: " + std::string(line.substr(0, 80))};
      }
      inputs.code_files.push_back({file[0].get<std::string>(), file[1].get<std::string>()});
    } else if (!line.empty()) {
      return Failure{path_text + " has a damaged line: " + std::string(line.substr(0, 80))};
    }
  }
  return inputs;
}

} // namespace mdivicom
