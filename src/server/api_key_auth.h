// `Authorization: Bearer <key>` checking against the configured API keys.
//
// Timing: a byte-by-byte compare that stops at the first difference tells an attacker, through
// the response time, how long a prefix of the key they have guessed. Here both sides are hashed
// with SHA-256 and the digests compared with CRYPTO_memcmp (constant time), against every key
// (no early exit), so the time depends neither on the keys' content nor on their length.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qinfer::server {

class ApiKeyAuth {
 public:
  explicit ApiKeyAuth(const std::vector<std::string>& keys);

  // False when no key is configured: every request is allowed.
  bool enabled() const { return !key_digests_.empty(); }

  // True when auth is disabled, or `authorization` (the header's value; nullopt when absent)
  // is "Bearer <one of the keys>" (scheme case-insensitive, RFC 6750).
  bool allows(std::optional<std::string_view> authorization) const;

 private:
  using Digest = std::array<unsigned char, 32>;
  static Digest sha256(std::string_view text);

  std::vector<Digest> key_digests_;
};

}  // namespace qinfer::server
