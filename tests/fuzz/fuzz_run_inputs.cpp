// What the up-to-date check reads back from disk: a run's inputs file (_runs/<run_id>.inputs.jsonl,
// anyone who can write O can edit it) and the dataset lists of `batch --datasets-from` (text,
// TSV or JSON). Neither may crash, hang or accept a line it cannot give back.
#include "core/batch/items.hpp"
#include "core/run/run_key.hpp"
#include "core/util/error.hpp"

#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace mdivicom;
  std::string_view text = fuzz::as_text(data, size);
  auto inputs = parse_inputs(text, "20260101T000000Z_00000000", "fuzz");
  if (inputs) {
    RunKey key;
    key.dataset_lines = inputs->dataset_lines;
    key.code_files = inputs->code_files;
    for (const auto& line : key.dataset_lines) {
      MDIVICOM_FUZZ_CHECK(line.find('\n') == std::string::npos, line);
    }
  }
  try {
    auto sources = parse_dataset_list(std::string(text), "fuzz", "/nonexistent-list-dir");
    for (const auto& source : sources) {
      MDIVICOM_FUZZ_CHECK(!source.text.empty() && !source.origin.empty(), text);
    }
  } catch (const Error&) {
    // a list mdivicom refuses, with a message: fine
  }
  return 0;
}
