#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace mdivicom {

class DigestContext;

// Incremental SHA-256 (OpenSSL, through the crypto module: sha256_engine.hpp).
class Sha256
{
public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(const void* data, size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  std::string hex_digest(); // finishes the hash; the object may not be updated afterwards
  void reset();             // starts a new hash in the same context (cheaper than a new object)

private:
  std::unique_ptr<DigestContext> m_context;
};

std::string sha256_hex(std::string_view data);

} // namespace mdivicom
