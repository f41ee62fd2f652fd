// A plugin's meta.config_schema and a config checked against it, as `run` does: the input is
// the schema's JSON, a NUL byte, then the config's JSON.
#include "core/json/canonical.hpp"
#include "core/config/config.hpp"
#include "core/config/schema.hpp"
#include "core/util/error.hpp"
#include "core/json/schema.hpp"

#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace mdivicom;
  std::string_view text = fuzz::as_text(data, size);
  size_t split = text.find('\0');
  std::string_view schema_text = text.substr(0, split);
  std::string_view config_text = split == std::string_view::npos ? "{}" : text.substr(split + 1);
  auto schema = nlohmann::json::parse(schema_text, nullptr, false);
  auto parsed = parse_json_canonical(config_text);
  if (schema.is_discarded() || !parsed || !parsed->value.is_object()) {
    return -1;
  }
  Config config;
  config.canonical = parsed->canonical;
  config.value = parsed->value;
  config.source = "inline";
  try {
    check_config_against_schema(config, schema, "fuzz");
  } catch (const Error& error) {
    MDIVICOM_FUZZ_CHECK(error.code() == ExitCode::usage, error.what());
  }
  return 0;
}
