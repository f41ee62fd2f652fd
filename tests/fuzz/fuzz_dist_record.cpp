// A Python distribution's RECORD (PEP 376 CSV), read for a plugin's code identity: any bytes
// in site-packages are someone else's. Every file it yields has a path and a hash, in order.
#include "lanes/inproc/discovery/code_identity.hpp"

#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace mdivicom;
  std::string_view text = fuzz::as_text(data, size);
  auto files = inproc::record_files(text);
  for (size_t i = 0; i < files.size(); ++i) {
    MDIVICOM_FUZZ_CHECK(!files[i].path.empty() && !files[i].hash.empty(), text);
    MDIVICOM_FUZZ_CHECK(i == 0 || files[i - 1].path <= files[i].path, text);
  }
  return 0;
}
