// A plugin manifest file: read, parsed, checked against the manifest schema and normalized,
// then printed as `plugins info` and `plugins list --json` do.
#include "core/plugins/manifest_source.hpp"
#include "core/util/error.hpp"

#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace mdivicom;
  std::string_view text = fuzz::as_text(data, size);
  fuzz::MemoryFile file(text);
  std::vector<std::string> problems = check_manifest(file.path());
  Plugin plugin = load_manifest(file.path());
  MDIVICOM_FUZZ_CHECK(plugin.is_error() == !problems.empty(), text);
  std::string shown = plugin.object.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  PluginSummary summary = PluginSummary::of(plugin);
  MDIVICOM_FUZZ_CHECK(!summary.id.empty() || plugin.is_error(), shown);
  (void)plugin.ref();
  (void)plugin.entry();
  return 0;
}
