#include "core/records/scan.hpp"

#include "core/json/bounded.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"

#include <algorithm>
#include <string_view>

namespace mdivicom {

namespace fs = std::filesystem;
using nlohmann::json;

// A run id and .json, checked without a std::regex: this runs for every file in _runs/ after
// every run, and compiling a regex costs more than the listing. In the shape, 0 stands for a
// digit and f for a lowercase hex digit.
bool is_record_file_name(const std::string& name)
{
  constexpr std::string_view k_shape = "00000000T000000Z_ffffffff.json";
  if (name.size() != k_shape.size()) {
    return false;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool digit = c >= '0' && c <= '9';
    const bool matches = k_shape[i] == '0'   ? digit
                         : k_shape[i] == 'f' ? digit || (c >= 'a' && c <= 'f')
                                             : c == k_shape[i];
    if (!matches) {
      return false;
    }
  }
  return true;
}

RecordFile parse_record(std::string name, const std::string& text)
{
  RecordFile file;
  file.name = std::move(name);
  std::string base = fs::path(file.name).filename().string();
  file.run_id = base.substr(0, base.size() - 5);
  try {
    file.record = parse_json_bounded(text);
    if (!file.record.is_object()) {
      file.error = "not a JSON object";
      file.record = nullptr;
    }
  } catch (const json::exception& e) {
    file.error = std::string("not valid JSON: ") + e.what();
    file.record = nullptr;
  }
  return file;
}

std::vector<RecordFile> scan_run_records(const fs::path& out_root)
{
  std::vector<RecordFile> records;
  std::error_code error;
  fs::directory_iterator it(out_root / "_runs", error);
  for (; !error && it != fs::directory_iterator(); it.increment(error)) {
    std::string name = it->path().filename().string();
    std::error_code type_error; // a file gone meanwhile is skipped; the listing goes on
    if (!is_record_file_name(name) || !it->is_regular_file(type_error)) {
      continue;
    }
    std::string text;
    try {
      text = read_file(it->path());
    } catch (const std::exception& e) {
      RecordFile file;
      file.name = "_runs/" + name;
      file.run_id = name.substr(0, name.size() - 5);
      file.error = e.what();
      records.push_back(std::move(file));
      continue;
    }
    records.push_back(parse_record("_runs/" + name, text));
  }
  // No _runs is no records; a listing that fails (out of memory, permissions) must not look
  // like one: "no run records" would be a wrong answer, not an error.
  if (error && error != std::errc::no_such_file_or_directory && error != std::errc::not_a_directory) {
    throw Error("cannot list " + (out_root / "_runs").string() + ": " + error.message());
  }
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.run_id < b.run_id; });
  return records;
}

bool wrote_output_dir(const json& record)
{
  if (record.contains("outputs")) {
    return true;
  }
  const auto interrupted = record.find("interrupted");
  return interrupted != record.end() && interrupted->is_object() && interrupted->value("during", "") == "inventory";
}

std::optional<std::string> record_outputs_root(const json& record)
{
  std::string root;
  const json* outputs = record.contains("outputs") ? &record["outputs"] : nullptr;
  // Without an inventory, the run's files are where the output slot left them: moved aside
  // when the run failed and earlier outputs were put back, else in the plugin's directory.
  const json* previous = record.contains("previous_outputs") ? &record["previous_outputs"] : nullptr;
  const json* failed = previous != nullptr && previous->is_object() && previous->contains("failed_outputs")
                           ? &(*previous)["failed_outputs"]
                           : nullptr;
  const json* files_dir =
      failed != nullptr ? failed : (record.contains("plugin_out_dir") ? &record["plugin_out_dir"] : nullptr);
  if (outputs != nullptr && outputs->is_object() && outputs->contains("root") && (*outputs)["root"].is_string()) {
    root = (*outputs)["root"].get<std::string>();
  } else if (files_dir != nullptr && files_dir->is_string() && record.contains("out_dir") &&
             record["out_dir"].is_string()) {
    fs::path relative = fs::path(files_dir->get<std::string>())
                            .lexically_normal()
                            .lexically_relative(fs::path(record["out_dir"].get<std::string>()).lexically_normal());
    root = relative.generic_string();
  }
  if (!root.empty() && root.back() == '/') {
    root.pop_back();
  }
  if (!is_clean_relative_path(root)) {
    return std::nullopt;
  }
  return root;
}

} // namespace mdivicom
