#include <catch2/catch.hpp>

#include "core/util/utf8.hpp"

using namespace mdivicom;

namespace {

// Each ill-formed the way Python's strict decoder refuses: overlong, surrogate, past U+10FFFF,
// no such lead byte, truncated, a lone continuation byte.
const std::vector<std::string> k_ill_formed = {"\xc0\x80",         "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                               "\xf5\x80\x80\x80", "\xff",         "\xe2\x82",     "\x80"};

} // namespace

TEST_CASE("the first ill-formed UTF-8 byte is found where Python's strict decoder stops", "[core][utf8]")
{
  CHECK(find_invalid_utf8("plain é 日本 😀") == std::string_view::npos);
  for (const auto& bad : k_ill_formed) {
    INFO(bad.size());
    CHECK(find_invalid_utf8("ok" + bad + "ok") == 2);
    CHECK_FALSE(is_valid_utf8(bad));
  }
}

TEST_CASE("repairing UTF-8 replaces each byte that starts no character", "[core][utf8]")
{
  CHECK(to_valid_utf8("a\xff"
                      "b") == "a\xEF\xBF\xBD"
                              "b");
  CHECK(to_valid_utf8("\xe2\x82") == "\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(to_valid_utf8("é") == "é");
}

// The result-bundle decoder this replaced decoded overlong and surrogate forms into code
// points; they are no character, so each of their bytes is U+FFFD now, as in to_valid_utf8.
TEST_CASE("decoding code points gives U+FFFD per byte of an ill-formed sequence", "[core][utf8]")
{
  const std::string text = "a\xc3\xa9\xf0\x9f\x98\x80";
  size_t pos = 0;
  CHECK(next_code_point(text, pos) == U'a');
  CHECK(next_code_point(text, pos) == U'é');
  CHECK(next_code_point(text, pos) == U'😀');
  CHECK(pos == text.size());
  for (const std::string bad : {"\xed\xa0\x80", "\xc0\x80"}) {
    pos = 0;
    for (size_t i = 0; i < bad.size(); ++i) {
      CHECK(next_code_point(bad, pos) == 0xFFFD);
      CHECK(pos == i + 1);
    }
  }
}

// The two copies this replaced wrote a surrogate as three ill-formed bytes.
TEST_CASE("encoding a code point as UTF-8 writes U+FFFD for what is no character", "[core][utf8]")
{
  std::string out;
  for (char32_t c : {U'A', U'é', U'€', U'😀'}) {
    append_utf8(out, c);
  }
  CHECK(out == "Aé€😀");
  out.clear();
  append_utf8(out, 0xD800);
  append_utf8(out, 0x110000);
  CHECK(out == "\xEF\xBF\xBD\xEF\xBF\xBD");
}
