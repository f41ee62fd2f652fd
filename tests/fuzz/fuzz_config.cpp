// A config (--config JSON text): canonical JSON as Python writes it, the parsed value beside
// it, and the config built from both.
#include "core/json/canonical.hpp"
#include "core/config/config.hpp"
#include "core/util/error.hpp"

#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace mdivicom;
  std::string_view text = fuzz::as_text(data, size);
  auto canonical = canonical_json(text);
  auto parsed = parse_json_canonical(text);
  MDIVICOM_FUZZ_CHECK(canonical.ok() == parsed.ok(), text);
  if (!canonical) {
    return 0;
  }
  MDIVICOM_FUZZ_CHECK(*canonical == parsed->canonical, text);
  // Canonical text is a fixed point: loading and dumping it again changes nothing.
  auto again = canonical_json(*canonical);
  MDIVICOM_FUZZ_CHECK(again.ok() && *again == *canonical, *canonical);
  (void)parsed->value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // Text that starts with '{' names no file, so load_config takes it as JSON text.
  if (text.starts_with('{')) {
    try {
      Config config = load_config(text);
      MDIVICOM_FUZZ_CHECK(config.canonical == *canonical && config.hash.size() == 64, text);
    } catch (const Error&) {
    }
  }
  return 0;
}
