#include "server/api_key_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>

namespace qinfer::server {

ApiKeyAuth::ApiKeyAuth(const std::vector<std::string>& keys) {
  key_digests_.reserve(keys.size());
  for (const auto& key : keys) key_digests_.push_back(sha256(key));
}

ApiKeyAuth::Digest ApiKeyAuth::sha256(std::string_view text) {
  Digest digest{};
  unsigned int digest_size = 0;
  // EVP_Digest with SHA-256 cannot fail for in-memory input short of an allocation failure; a
  // zero digest then simply matches no configured key.
  EVP_Digest(text.data(), text.size(), digest.data(), &digest_size, EVP_sha256(), nullptr);
  return digest;
}

bool ApiKeyAuth::allows(std::optional<std::string_view> authorization) const {
  if (!enabled()) return true;
  if (!authorization) return false;
  constexpr std::string_view kScheme = "bearer ";
  std::string_view value = *authorization;
  if (value.size() < kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return false;
  }
  std::string_view token = value.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return false;

  const Digest presented = sha256(token);
  bool match = false;
  for (const Digest& key : key_digests_) {
    match |= CRYPTO_memcmp(presented.data(), key.data(), presented.size()) == 0;
  }
  return match;
}

}  // namespace qinfer::server
