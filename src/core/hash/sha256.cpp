#include "core/hash/sha256.hpp"

#include "core/util/error.hpp"
#include "core/util/module.hpp"
#include "core/hash/sha256_engine.hpp"

namespace mdivicom {

namespace {

#ifdef MDIVICOM_CRYPTO_BUILTIN
const CryptoModule& crypto_module()
{
  return *mdivicom_crypto_module();
}
#else
const CryptoModule& crypto_module()
{
  return *module_function<CryptoModuleEntry>(k_crypto_module, k_crypto_entry)();
}
#endif

std::unique_ptr<DigestContext> new_context()
{
  static const CryptoModule& module = crypto_module();
  auto context = module.new_sha256();
  if (!context) {
    throw Error("OpenSSL could not start a SHA-256 digest");
  }
  return context;
}

} // namespace

Sha256::Sha256() : m_context(new_context()) {}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t size)
{
  if (!m_context->update(data, size)) {
    throw Error("OpenSSL SHA-256 update failed");
  }
}

void Sha256::reset()
{
  if (!m_context->restart()) {
    throw Error("OpenSSL could not restart a SHA-256 digest");
  }
}

std::string Sha256::hex_digest()
{
  unsigned char digest[32];
  if (!m_context->finish(digest)) {
    throw Error("OpenSSL SHA-256 final failed");
  }
  static const char* k_hex = "0123456789abcdef";
  std::string hex;
  hex.reserve(64);
  for (unsigned char byte : digest) {
    hex += k_hex[byte >> 4];
    hex += k_hex[byte & 0xf];
  }
  return hex;
}

std::string sha256_hex(std::string_view data)
{
  Sha256 hash;
  hash.update(data);
  return hash.hex_digest();
}

} // namespace mdivicom
