#include "core/sha256.hpp"

#include "core/error.hpp"

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

} // namespace

struct Sha256::Impl
{
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
};

Sha256::Sha256() : m_impl(std::make_unique<Impl>())
{
  if (!m_impl->ctx || EVP_DigestInit_ex(m_impl->ctx.get(), sha256_algorithm(), nullptr) != 1) {
    throw Error("OpenSSL could not start a SHA-256 digest");
  }
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t size)
{
  if (EVP_DigestUpdate(m_impl->ctx.get(), data, size) != 1) {
    throw Error("OpenSSL SHA-256 update failed");
  }
}

void Sha256::reset()
{
  if (EVP_DigestInit_ex(m_impl->ctx.get(), sha256_algorithm(), nullptr) != 1) {
    throw Error("OpenSSL could not restart a SHA-256 digest");
  }
}

std::string Sha256::hex_digest()
{
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(m_impl->ctx.get(), digest, &length) != 1) {
    throw Error("OpenSSL SHA-256 final failed");
  }
  static const char* k_hex = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex += k_hex[digest[i] >> 4];
    hex += k_hex[digest[i] & 0xf];
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
