// The only file that includes OpenSSL. Built as the module mdivicom-crypto.so (see
// sha256_engine.hpp).
#include "core/sha256_engine.hpp"

#include <algorithm>
#include <memory>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace mdivicom {

namespace {

// Fetched once: passing EVP_sha256() to every EVP_DigestInit_ex makes OpenSSL 3 look the
// algorithm up again under a lock, which costs more than hashing a small file.
const EVP_MD* sha256_algorithm()
{
  static EVP_MD* const s_fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return s_fetched != nullptr ? s_fetched : EVP_sha256();
}

class OpenSslSha256 : public DigestContext
{
public:
  bool restart() override { return m_ctx && EVP_DigestInit_ex(m_ctx.get(), sha256_algorithm(), nullptr) == 1; }
  bool update(const void* data, size_t size) override { return EVP_DigestUpdate(m_ctx.get(), data, size) == 1; }

  bool finish(unsigned char (&digest)[32]) override
  {
    unsigned char full[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(m_ctx.get(), full, &length) != 1 || length != 32) {
      return false;
    }
    std::copy(full, full + 32, digest);
    return true;
  }

private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> m_ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
};

const CryptoModule k_module = {
    []() -> std::unique_ptr<DigestContext> {
      auto context = std::make_unique<OpenSslSha256>();
      return context->restart() ? std::move(context) : nullptr;
    },
};

} // namespace

} // namespace mdivicom

extern "C" const mdivicom::CryptoModule* mdivicom_crypto_module()
{
  // Before any other OpenSSL call. The system configuration is loaded as usual; only the
  // cleanup at exit is left out: it frees tables the process is about to drop anyway, and
  // cost every run a quarter of a millisecond.
  static const bool s_initialized =
      OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, nullptr) == 1;
  (void)s_initialized;
  return &mdivicom::k_module;
}
