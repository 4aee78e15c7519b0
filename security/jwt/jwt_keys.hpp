#pragma once

#include <openssl/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "security/jwt/jwt.hpp"

namespace sluice::security {

// The configured JWT verification keys, loaded once. OpenSSL does every
// cryptographic step; this class only picks the key and calls it.
class jwt_keys {
 public:
  // Nothing, with `error` naming the key's place in the config, when a key
  // cannot be loaded (unreadable file, not a PEM public key, wrong type).
  static std::optional<jwt_keys> load(const std::vector<config::jwt_key_config>& keys,
                                      std::string& error);
  // Why `k` cannot be loaded (unreadable file, not a PEM public key, wrong
  // type), or nothing when it can.
  static std::optional<std::string> check(const config::jwt_key_config& k);

  bool empty() const { return keys_.empty(); }
  // True when a key of the token's algorithm (and kid, when both name one)
  // accepts its signature.
  bool verify(const jwt::token& t) const;

 private:
  struct key {
    jwt::algorithm alg;
    std::string kid;
    std::string secret;              // HS256
    std::shared_ptr<EVP_PKEY> pkey;  // RS256, ES256
  };
  std::vector<key> keys_;
};

}  // namespace sluice::security
