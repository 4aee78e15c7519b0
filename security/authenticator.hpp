#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "core/error_code.hpp"
#include "security/identity.hpp"
#include "security/jwt/jwt_keys.hpp"

namespace sluice::security {

// The outcome of presenting a credential: an identity, or why not
// (`unauthenticated` or `token_expired`, with a message for the client that
// never repeats the credential).
struct verdict {
  std::optional<identity> who;
  ec code = ec::unauthenticated;
  std::string message;
};

// Turns the credential a client presents (a JWT or an API key; nothing when
// it presents none) into an identity, as `auth:` configures. Immutable and
// safe to share between threads.
class authenticator {
 public:
  // Nothing, with `error`, when a configured key cannot be loaded.
  static std::shared_ptr<const authenticator> create(const config::auth_config& cfg,
                                                     std::string& error);

  // A client at /ws. An empty credential is anonymous, if that is allowed.
  verdict authenticate(std::string_view credential, std::int64_t now) const;
  // A caller of /api/. Always admitted when no http_api_keys are configured.
  verdict authenticate_http_api(std::string_view credential) const;

  const config::auth_config& config() const { return cfg_; }

 private:
  authenticator(config::auth_config cfg, jwt_keys keys)
      : cfg_(std::move(cfg)), keys_(std::move(keys)) {}
  verdict from_jwt(std::string_view token, std::int64_t now) const;

  config::auth_config cfg_;
  jwt_keys keys_;
};

// Hex SHA-256 of `text`: what `api_keys` entries store.
std::string sha256_hex(std::string_view text);

// A key's name among `keys` whose sha256 is that of `credential`; nothing if none.
std::optional<const config::api_key_config*> find_api_key(
    const std::vector<config::api_key_config>& keys, std::string_view credential);

// The current time as JWTs count it (seconds since the epoch).
std::int64_t unix_now();

}  // namespace sluice::security
