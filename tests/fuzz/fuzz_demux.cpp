// The Engine API's multiplexed attach stream (8-byte frame headers): the input is the stream,
// its first byte chooses where it is cut into pieces. However it is cut, the same bytes must
// come out on the same streams, and only whole frames.
#include "lanes/container/engine/demux.hpp"

#include "fuzz/fuzz_support.hpp"

namespace {

struct Collected : mdivicom::OutputSink
{
  std::string out_bytes;
  std::string err_bytes;
  void out(std::string_view text) override { out_bytes.append(text); }
  void err(std::string_view text) override { err_bytes.append(text); }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace mdivicom;
  if (size == 0) {
    return -1;
  }
  const size_t piece = data[0] % 17 + 1;
  std::string_view stream = fuzz::as_text(data + 1, size - 1);

  Collected whole;
  container::FrameDemuxer at_once(whole);
  at_once.feed(stream);

  Collected cut;
  container::FrameDemuxer in_pieces(cut);
  for (size_t at = 0; at < stream.size(); at += piece) {
    in_pieces.feed(stream.substr(at, piece));
  }
  MDIVICOM_FUZZ_CHECK(whole.out_bytes == cut.out_bytes && whole.err_bytes == cut.err_bytes, "");
  MDIVICOM_FUZZ_CHECK(at_once.pending() == in_pieces.pending(), "");
  MDIVICOM_FUZZ_CHECK(whole.out_bytes.size() + whole.err_bytes.size() + at_once.pending() <= stream.size(), "");
  return 0;
}
