#pragma once

// A run's key: everything that decides what a run would write, so that two runs with equal keys
// would write the same outputs. `run` and `batch` compare it with the latest run of O/<id> to
// skip a run that is up to date (core/run/freshness.hpp).

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/run/lane.hpp"
#include "core/util/error.hpp"

namespace mdivicom {

struct RunKey
{
  // {"plugin": {publisher, id, version, kind}, "code": <the lane's CodeIdentity summary>,
  //  "config_sha256", "dataset": {mode, fingerprint_sha256}, "options": {dry_run, entry}}
  nlohmann::json parts;
  std::string sha256; // of parts, as compact JSON with sorted keys
  // The per-file lists the parts are digests of, kept beside the record (the inputs file) so
  // that a later run can say which files changed.
  std::vector<std::string> dataset_lines; // the dataset fingerprint's lines (core/dataset/identity.hpp)
  std::vector<CodeFile> code_files;

  // As record["key"]: {"sha256", "parts"}.
  nlohmann::json to_json() const;
};

// The key of a planned run. `dataset` is the record's dataset identity, `dataset_lines` its
// fingerprint lines (empty for --dataset-hash off).
RunKey make_run_key(const RunRequest& request, const std::string& config_hash, const nlohmann::json& dataset,
                    std::vector<std::string> dataset_lines, CodeIdentity code);

// The entry fields a key holds: the whole entry but what cannot change results (resources,
// the archive an image is loaded from: the image ID says which image ran).
nlohmann::json entry_for_key(const nlohmann::json& entry);

// O/_runs/<run_id>.inputs.jsonl: a header line {"format": "mdivicom.inputs.v1", "run_id",
// "key_sha256"}, then one line per dataset file ("D " + its fingerprint line) and per code file
// ("C " + [path, hash]).
std::filesystem::path inputs_file_path(const std::filesystem::path& runs_dir, const std::string& run_id);
void write_inputs_file(const std::filesystem::path& path, const std::string& run_id, const RunKey& key);

struct StoredInputs
{
  std::vector<std::string> dataset_lines;
  std::vector<CodeFile> code_files;
};
// A Failure says why the file cannot be used (missing, damaged, of another run).
Result<StoredInputs> read_inputs_file(const std::filesystem::path& path, const std::string& run_id);
// The same from the file's text; `where` names it in errors.
Result<StoredInputs> parse_inputs(std::string_view text, const std::string& run_id, const std::string& where);

} // namespace mdivicom
