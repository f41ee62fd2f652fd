// An engine's answer that may be several JSON documents in a row (the progress streams of
// pull, load, import and push) and the error a stream reports.
#include "lanes/container/engine/json_stream.hpp"

#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace mdivicom;
  std::string_view text = fuzz::as_text(data, size);
  nlohmann::json messages = container::parse_json_stream(text);
  MDIVICOM_FUZZ_CHECK(messages.is_array(), text);
  (void)container::stream_error(messages);
  return 0;
}
