#pragma once

// What `mdivicom batch` shows: a live progress line on a terminal, one line per finished item
// otherwise, and the table of items at the end (also `mdivicom batch status`).

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/batch/batch.hpp"

namespace mdivicom::cli {

enum class BatchViewKind { terminal, lines, quiet };

// explain: each item's decision and its reason, before anything runs (batch --explain).
std::unique_ptr<BatchObserver> make_batch_view(BatchViewKind kind, bool explain = false);

// The items of a batch record as a table, then its summary line.
std::string batch_table(const nlohmann::json& record);

struct BatchStatusArguments
{
  std::string out;
  std::string batch_id;
  bool as_json = false;
};

void show_batch_status(const BatchStatusArguments& args);

} // namespace mdivicom::cli
