// A dev root's pyproject.toml, read for [project] name and version and the entry points of
// mdivicom's group (MDIVICOM_DEV_PLUGIN_ROOTS). Only the reading function is fuzzed, so the
// target stays the same whichever TOML parser is behind it.
#include "lanes/inproc/discovery/pyproject.hpp"

#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace mdivicom;
  std::string_view text = fuzz::as_text(data, size);
  auto info = inproc::parse_pyproject(text);
  if (info) {
    for (const auto& entry : info->entry_points) {
      (void)entry;
    }
  } else {
    MDIVICOM_FUZZ_CHECK(!info.error().empty(), text);
  }
  return 0;
}
