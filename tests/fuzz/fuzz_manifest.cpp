// A plugin manifest file: read, parsed, checked against the manifest schema and normalized,
// then printed as `plugins info` and `plugins list --json` do.
#include "core/discovery.hpp"
#include "core/error.hpp"

#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace mdivicom;
  std::string_view text = fuzz::as_text(data, size);
  if (fuzz::known_deep_input(text)) {
    return -1;
  }
  fuzz::MemoryFile file(text);
  std::vector<std::string> problems;
  try {
    problems = check_manifest(file.path());
  } catch (const nlohmann::json::out_of_range&) {
    // Known (issue 15, item 9): a number beyond a double (1e400) escapes the manifest reader
    // as the JSON library's own message; `plugins validate` prints it and exits 1.
    if (fuzz::feed_known_crashes()) {
      throw;
    }
    return -1;
  }
  Plugin plugin = load_manifest(file.path());
  MDIVICOM_FUZZ_CHECK(plugin.is_error() == !problems.empty(), text);
  std::string shown = plugin.object.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  PluginSummary summary = PluginSummary::of(plugin);
  MDIVICOM_FUZZ_CHECK(!summary.id.empty() || plugin.is_error(), shown);
  (void)plugin.ref();
  (void)plugin.entry();
  return 0;
}
