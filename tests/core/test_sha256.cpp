// SHA-256 through the crypto module (OpenSSL's SHA256_Init/Update/Final): known answers, any
// split of the input, reuse after reset, and agreement with coreutils' sha256sum on a large
// input (the SHA-NI/AVX2 multi-block path).

#include <catch2/catch.hpp>

#include "core/hash/sha256.hpp"
#include "support/process.hpp"

#include <random>
#include <string>

using namespace mdivicom;

namespace {

std::string random_bytes(size_t size, unsigned seed)
{
  std::mt19937 generator(seed);
  std::string bytes(size, '\0');
  for (auto& byte : bytes) {
    byte = static_cast<char>(generator() & 0xff);
  }
  return bytes;
}

} // namespace

TEST_CASE("SHA-256 gives the FIPS 180-2 answers", "[core][sha256]")
{
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("SHA-256 of data given in pieces equals the hash of the whole, and reset starts over", "[core][sha256]")
{
  const std::string data = random_bytes(100003, 7);
  const std::string whole = sha256_hex(data);
  Sha256 hash;
  for (size_t piece : {1, 3, 63, 64, 65, 4096}) {
    INFO("pieces of " << piece);
    hash.reset();
    for (size_t at = 0; at < data.size(); at += piece) {
      hash.update(std::string_view(data).substr(at, piece));
    }
    CHECK(hash.hex_digest() == whole);
  }
}

TEST_CASE("SHA-256 of a large input agrees with sha256sum", "[core][sha256]")
{
  const std::string data = random_bytes(8 * 1024 * 1024 + 17, 11);
  test::CommandOptions options;
  options.input = data;
  auto result = test::run_command({"sha256sum"}, options);
  REQUIRE(result.exit_code == 0);
  CHECK(sha256_hex(data) == result.out.substr(0, 64));
}
