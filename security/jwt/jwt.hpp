#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// JSON Web Tokens (RFC 7519) as Sluice accepts them: compact JWS with HS256,
// RS256 or ES256. parse() only decodes; nothing in a token is trusted until
// jwt_keys::verify() accepted its signature and check_claims() its times,
// issuer and audience.
namespace sluice::security::jwt {

enum class algorithm { hs256, rs256, es256 };

constexpr std::size_t max_token_bytes = 8 * 1024;

struct token {
  algorithm alg = algorithm::hs256;
  std::string kid;
  std::string signing_input;  // "header.payload", the bytes the signature covers
  std::string signature;      // decoded
  std::string subject;
  std::string issuer;
  std::vector<std::string> audience;
  std::optional<std::int64_t> expires_at;  // exp
  std::optional<std::int64_t> not_before;  // nbf
  std::vector<std::string> roles;          // the roles claim: a list, or space-separated text
  std::vector<std::pair<std::string, std::string>> claims;  // top-level scalars, as text
};

// Decodes a compact JWT. Never throws; nothing (with `why`) for anything that
// is not a well-formed token of a supported algorithm.
std::optional<token> parse(std::string_view text, std::string_view roles_claim, std::string& why);

enum class claims_verdict {
  valid,
  expired,
  not_yet_valid,
  wrong_issuer,
  wrong_audience,
  no_expiry,  // no exp while it is required
  too_long,   // exp further ahead than the maximum lifetime
};

// What check_claims() requires. Times in seconds.
struct claim_rules {
  std::int64_t skew = 0;          // widens exp and nbf
  std::string issuer;             // iss must equal it; empty: not checked
  std::string audience;           // aud must contain it; empty: not checked
  bool require_exp = true;        // a token without exp is refused
  std::int64_t max_lifetime = 0;  // exp at most this far ahead (plus skew); 0: any
};

claims_verdict check_claims(const token& t, std::int64_t now, const claim_rules& rules);

std::string_view to_string(algorithm alg);

}  // namespace sluice::security::jwt
