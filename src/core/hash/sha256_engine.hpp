#pragma once

// The seam between core and OpenSSL. The implementation (crypto/openssl_sha256.cpp) is compiled
// into core on OpenSSL's static libcrypto (MDIVICOM_CRYPTO_BUILTIN, the default), or built as the
// module mdivicom-crypto.so on the shared libcrypto, loaded on the first hash, so that commands
// which never hash (listing plugins, showing help) do not pay for loading libcrypto.

#include <cstddef>
#include <memory>

namespace mdivicom {

class DigestContext
{
public:
  virtual ~DigestContext() = default;
  // Each returns false when OpenSSL reports a failure.
  virtual bool restart() = 0;
  virtual bool update(const void* data, size_t size) = 0;
  virtual bool finish(unsigned char (&digest)[32]) = 0;
};

// What the module offers, returned by its entry function k_crypto_entry.
struct CryptoModule
{
  std::unique_ptr<DigestContext> (*new_sha256)(); // nullptr when OpenSSL cannot make one
};

inline constexpr const char* k_crypto_module = "crypto";
inline constexpr const char* k_crypto_entry = "mdivicom_crypto_module";
using CryptoModuleEntry = const CryptoModule*();

} // namespace mdivicom

// The entry function; called directly when compiled in, looked up in the module otherwise.
extern "C" const mdivicom::CryptoModule* mdivicom_crypto_module();
