// The only file that includes OpenSSL: compiled into core on the static libcrypto, or built as
// the module mdivicom-crypto.so on the shared one (see sha256_engine.hpp).
//
// SHA-256 through OpenSSL's own functions (SHA256_Init/Update/Final), not through EVP: the first
// EVP digest starts OpenSSL 3's provider machinery (the default provider registers every
// algorithm's names in hash tables), ~1.8 ms of CPU on our 2-core machines, more than hashing
// all of a run's small files; these functions are the same assembly (SHA-NI, AVX2) without it.
// They are deprecated in OpenSSL 3 in favour of EVP, but still built and supported; if a later
// OpenSSL drops them, EVP_Digest* is the replacement, at that one-off cost. A FIPS-only
// configuration does not apply to them: these digests name content, they protect no secret.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "core/hash/sha256_engine.hpp"

#include <memory>
#include <new>

#include <openssl/sha.h>

namespace mdivicom {

namespace {

class OpenSslSha256 : public DigestContext
{
public:
  bool restart() override { return SHA256_Init(&m_ctx) == 1; }
  bool update(const void* data, size_t size) override { return SHA256_Update(&m_ctx, data, size) == 1; }
  bool finish(unsigned char (&digest)[32]) override { return SHA256_Final(digest, &m_ctx) == 1; }

private:
  SHA256_CTX m_ctx{}; // a plain struct: nothing to free
};

// noexcept: as a module (MDIVICOM_STATIC_LIBCRYPTO=OFF) it runs on another copy of the C++
// runtime than mdivicom's, and no exception may cross between them.
const CryptoModule k_module = {
    []() noexcept -> std::unique_ptr<DigestContext> {
      try {
        auto context = std::make_unique<OpenSslSha256>();
        return context->restart() ? std::move(context) : nullptr;
      } catch (const std::bad_alloc&) {
        return nullptr;
      }
    },
};

} // namespace

} // namespace mdivicom

extern "C" const mdivicom::CryptoModule* mdivicom_crypto_module()
{
  return &mdivicom::k_module;
}
