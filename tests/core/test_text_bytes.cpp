#include <catch2/catch.hpp>

#include "core/util/text_bytes.hpp"

using mdivicom::printable;

TEST_CASE("printable text keeps ordinary names and UTF-8 as they are", "[core][text]")
{
  CHECK(printable("tracker/table.csv") == "tracker/table.csv");
  CHECK(printable("données-é/日本.csv") == "données-é/日本.csv");
  CHECK(printable("") == "");
}

TEST_CASE("printable text escapes every character that could break or forge a line", "[core][text]")
{
  CHECK(printable("a\nok  b") == "a\\nok  b");
  CHECK(printable("a\rb\tc") == "a\\rb\\tc");
  CHECK(printable("\x1b[31mred") == "\\x1b[31mred");
  CHECK(printable(std::string("nul\0x", 5)) == "nul\\x00x");
  CHECK(printable("del\x7f") == "del\\x7f");
  CHECK(printable("back\\slash") == "back\\\\slash");
  CHECK(printable("c1\u0085next") == "c1\\u0085next");
  CHECK(printable("line\u2028sep") == "line\\u2028sep");
  CHECK(printable("bidi\u202Efdp.exe") == "bidi\\u202efdp.exe");
  CHECK(printable("iso\u2066x\u2069") == "iso\\u2066x\\u2069");
}

TEST_CASE("printable text shows the bytes of invalid UTF-8 instead of hiding them", "[core][text]")
{
  CHECK(printable("bad\xff\xfe") == "bad\\xff\\xfe");
  CHECK(printable("cut\xc3") == "cut\\xc3");
  CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80"); // a surrogate is not UTF-8
}
