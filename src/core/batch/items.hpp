#pragma once

// The items of a batch: every dataset × every plugin ref, each one ordinary run into
// O/<item name>/. Worked out completely, and refused with every problem named, before anything
// runs.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom {

// Where a dataset came from: a --dataset argument (a path or a glob), or a line of a
// --datasets-from list.
struct DatasetSource
{
  std::string text;                     // the path or the glob as given
  std::string origin;                   // "--dataset" or "<list file>:<line>", for messages
  std::optional<nlohmann::json> config; // a per-dataset config from a TSV/JSON list
};

// Reads a --datasets-from list (`-`: standard input). Plain lines: one path per line, blank
// lines and lines starting with '#' ignored. A TSV whose first line is a header naming a
// `dataset` column (and optionally `config`: JSON text or a JSON file's path) or a JSON array of
// {"dataset": ..., "config": ...} objects gives a config per dataset. Relative paths are taken
// from the list file's directory (from the current directory for standard input). Throws a
// usage Error naming the file and line of anything malformed.
std::vector<DatasetSource> read_dataset_list(const std::string& file);
// The same from the list's text; `name` names it in errors, relative paths are taken from list_dir.
std::vector<DatasetSource> parse_dataset_list(const std::string& text, const std::string& name,
                                              const std::filesystem::path& list_dir);

// One dataset of the batch, resolved.
struct BatchDataset
{
  std::filesystem::path path; // absolute
  std::string item;           // O/<item>/ receives its runs
  std::string origin;
  std::optional<nlohmann::json> config;
};

struct DatasetSelection
{
  std::vector<BatchDataset> datasets;
  std::vector<std::string> missing; // with keep_going: "<path> (<origin>): <why>", left out
};

// Expands globs (a pattern that matches nothing is an error), drops nothing silently, and names
// each dataset's item: its directory name, or its path below `root` when one is given. Refuses,
// naming all of them at once: no dataset at all, a dataset given twice, two datasets with the
// same item name, an item name mdivicom reserves (`_runs`, `_batches`, names starting with '.'),
// a dataset outside `root`; and, unless keep_going, a dataset that is not a directory or an
// archive mdivicom can read.
DatasetSelection select_datasets(const std::vector<DatasetSource>& sources, const std::string& root, bool keep_going);

} // namespace mdivicom
