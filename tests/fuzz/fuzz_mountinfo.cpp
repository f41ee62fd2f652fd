// /proc/self/mountinfo text, searched for the mounts below a read-only source (submounts): the
// input's first line is the source, the rest the mountinfo text.
#include "lanes/container/exposure/submounts.hpp"

#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace mdivicom;
  std::string_view text = fuzz::as_text(data, size);
  size_t newline = text.find('\n');
  if (newline == std::string_view::npos || newline == 0 || text[0] != '/') {
    return -1;
  }
  std::filesystem::path source(std::string(text.substr(0, newline)));
  auto points = container::mounts_below(source, text.substr(newline + 1));
  // "/d/", "/d//" and "/d/." name /d; "//" names the root.
  std::string prefix = source.lexically_normal().string();
  while (prefix.ends_with('/')) {
    prefix.pop_back();
  }
  prefix += '/';
  for (size_t i = 0; i < points.size(); ++i) {
    const std::string& point = points[i].native();
    MDIVICOM_FUZZ_CHECK(point.size() > prefix.size() && point.starts_with(prefix), point);
    MDIVICOM_FUZZ_CHECK(i == 0 || points[i - 1].native() < point, point);
  }
  return 0;
}
