#include "security/authenticator.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <chrono>

namespace sluice::security {
namespace {

verdict refused(ec code, std::string message) {
  return {std::nullopt, code, std::move(message)};
}

verdict admitted(const config::api_key_config& key) {
  identity who;
  who.key_name = key.name;
  who.subject = key.subject;
  who.roles = key.roles;
  return {std::move(who), ec::unauthenticated, {}};
}

bool looks_like_jwt(std::string_view credential) {
  return std::count(credential.begin(), credential.end(), '.') == 2;
}

}  // namespace

std::string sha256_hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char b : digest) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 0xF]);
  }
  return out;
}

std::optional<const config::api_key_config*> find_api_key(
    const std::vector<config::api_key_config>& keys, std::string_view credential) {
  auto digest = sha256_hex(credential);
  for (const auto& k : keys)
    if (k.sha256.size() == digest.size() &&
        CRYPTO_memcmp(k.sha256.data(), digest.data(), digest.size()) == 0)
      return &k;
  return std::nullopt;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::shared_ptr<const authenticator> authenticator::create(const config::auth_config& cfg,
                                                           std::string& error) {
  auto keys = jwt_keys::load(cfg.jwt_keys, error);
  if (!keys) return nullptr;
  return std::shared_ptr<const authenticator>{new authenticator{cfg, std::move(*keys)}};
}

verdict authenticator::authenticate(std::string_view credential, std::int64_t now) const {
  if (credential.empty()) {
    if (cfg_.anonymous) return {identity{}, ec::unauthenticated, {}};
    return refused(ec::unauthenticated,
                   "a token is required: Authorization: Bearer, the `token` query parameter, "
                   "or the subprotocol bearer.TOKEN");
  }
  if (looks_like_jwt(credential) && !keys_.empty()) return from_jwt(credential, now);
  if (auto key = find_api_key(cfg_.api_keys, credential)) return admitted(**key);
  return refused(ec::unauthenticated, "the token is not a valid JWT or API key");
}

verdict authenticator::from_jwt(std::string_view token, std::int64_t now) const {
  std::string why;
  auto t = jwt::parse(token, cfg_.roles_claim, why);
  if (!t) return refused(ec::unauthenticated, why);
  if (!keys_.verify(*t))
    return refused(ec::unauthenticated, "the token's signature does not verify with any " +
                                            std::string{jwt::to_string(t->alg)} + " key");
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  jwt::claim_rules rules{duration_cast<seconds>(cfg_.clock_skew).count(), cfg_.issuer,
                         cfg_.audience, cfg_.require_exp,
                         duration_cast<seconds>(cfg_.max_token_lifetime).count()};
  switch (jwt::check_claims(*t, now, rules)) {
    case jwt::claims_verdict::valid:
      break;
    case jwt::claims_verdict::no_expiry:
      return refused(ec::unauthenticated,
                     "the token has no exp, and this server requires one (auth.require_exp)");
    case jwt::claims_verdict::too_long:
      return refused(ec::unauthenticated,
                     "the token's exp is further ahead than this server accepts "
                     "(auth.max_token_lifetime)");
    case jwt::claims_verdict::expired:
      return refused(ec::token_expired, "the token expired; connect or refresh with a new one");
    case jwt::claims_verdict::not_yet_valid:
      return refused(ec::unauthenticated, "the token is not valid yet (nbf)");
    case jwt::claims_verdict::wrong_issuer:
      return refused(ec::unauthenticated, "the token's issuer (iss) is not accepted");
    case jwt::claims_verdict::wrong_audience:
      return refused(ec::unauthenticated,
                     "the token's audience (aud) does not include this server");
  }
  identity who;
  who.subject = std::move(t->subject);
  who.roles = std::move(t->roles);
  who.claims = std::move(t->claims);
  who.expires_at = t->expires_at.value_or(0);
  return {std::move(who), ec::unauthenticated, {}};
}

verdict authenticator::authenticate_http_api(std::string_view credential) const {
  if (cfg_.http_api_keys.empty()) return {identity{}, ec::unauthenticated, {}};
  if (credential.empty())
    return refused(ec::unauthenticated, "the HTTP API needs Authorization: Bearer API_KEY");
  auto key = find_api_key(cfg_.http_api_keys, credential);
  if (!key) return refused(ec::unauthenticated, "the API key is not valid");
  return admitted(**key);
}

}  // namespace sluice::security
