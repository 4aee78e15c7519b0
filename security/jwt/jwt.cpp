#include "security/jwt/jwt.hpp"

#include <simdjson.h>

#include <algorithm>

#include "security/jwt/base64url.hpp"

namespace sluice::security::jwt {
namespace {

namespace dom = simdjson::dom;

constexpr std::size_t max_depth = 16;

dom::parser& json_parser() {
  thread_local dom::parser parser;
  thread_local bool configured = false;
  if (!configured) configured = parser.allocate(max_token_bytes, max_depth) == simdjson::SUCCESS;
  return parser;
}

std::optional<algorithm> algorithm_named(std::string_view name) {
  if (name == "HS256") return algorithm::hs256;
  if (name == "RS256") return algorithm::rs256;
  if (name == "ES256") return algorithm::es256;
  return std::nullopt;  // "none" among them: a token must be signed
}

std::optional<std::int64_t> numeric_date(dom::element el) {
  if (auto i = el.get_int64(); !i.error()) return i.value();
  if (auto d = el.get_double(); !d.error() && d.value() > -1e15 && d.value() < 1e15)
    return static_cast<std::int64_t>(d.value());
  return std::nullopt;
}

// RFC 7515 4.1.11 and 7519 4: a key may appear once, and two parsers must
// never see two different values for one claim.
bool has_duplicate_key(dom::object obj, std::string& why, std::string_view part) {
  std::vector<std::string_view> keys;
  for (auto field : obj) keys.push_back(field.key);
  std::sort(keys.begin(), keys.end());
  auto twice = std::adjacent_find(keys.begin(), keys.end());
  if (twice == keys.end()) return false;
  why = "token " + std::string{part} + " has the key \"" + std::string{*twice} + "\" twice";
  return true;
}

bool read_header(std::string_view json, token& t, std::string& why) {
  dom::element header;
  if (json_parser().parse(json.data(), json.size()).get(header) || !header.is_object()) {
    why = "token header is not a JSON object";
    return false;
  }
  if (has_duplicate_key(header.get_object().value_unsafe(), why, "header")) return false;
  // RFC 7515 4.1.11: a recipient that does not understand an extension named
  // in `crit` must refuse the token; Sluice understands none.
  if (dom::element crit; !header["crit"].get(crit)) {
    why = "token header names critical extensions (crit), which this server does not support";
    return false;
  }
  std::string_view alg;
  if (header["alg"].get(alg)) {
    why = "token header has no alg";
    return false;
  }
  auto known = algorithm_named(alg);
  if (!known) {
    why = "token algorithm is not HS256, RS256 or ES256";
    return false;
  }
  t.alg = *known;
  std::string_view kid;
  if (!header["kid"].get(kid)) t.kid = kid;
  return true;
}

void read_roles(dom::element value, token& t) {
  if (std::string_view text; !value.get(text)) {
    for (std::size_t start = 0; start < text.size();) {
      auto end = std::min(text.find(' ', start), text.size());
      if (end > start) t.roles.emplace_back(text.substr(start, end - start));
      start = end + 1;
    }
    return;
  }
  if (dom::array list; !value.get(list))
    for (auto item : list)
      if (std::string_view role; !item.get(role)) t.roles.emplace_back(role);
}

bool read_payload(std::string_view json, std::string_view roles_claim, token& t, std::string& why) {
  dom::object payload;
  if (json_parser().parse(json.data(), json.size()).get(payload)) {
    why = "token payload is not a JSON object";
    return false;
  }
  if (has_duplicate_key(payload, why, "payload")) return false;
  for (auto [key, value] : payload) {
    std::string_view text;
    if (key == "exp" || key == "nbf") {
      auto date = numeric_date(value);
      if (!date) {
        why = "token " + std::string{key} + " is not a number";
        return false;
      }
      (key == "exp" ? t.expires_at : t.not_before) = date;
    } else if (key == "aud") {
      if (!value.get(text)) t.audience.emplace_back(text);
      if (dom::array list; !value.get(list))
        for (auto item : list)
          if (!item.get(text)) t.audience.emplace_back(text);
    } else if (key == roles_claim) {
      read_roles(value, t);
    }
    if (!value.get(text)) {
      if (key == "sub") t.subject = text;
      if (key == "iss") t.issuer = text;
      t.claims.emplace_back(key, text);
    } else if (value.is_number() || value.is_bool()) {
      t.claims.emplace_back(key, simdjson::minify(value));
    }
  }
  return true;
}

}  // namespace

std::optional<token> parse(std::string_view text, std::string_view roles_claim, std::string& why) {
  if (text.size() > max_token_bytes) {
    why = "token is longer than " + std::to_string(max_token_bytes) + " bytes";
    return std::nullopt;
  }
  auto first = text.find('.');
  auto second = first == std::string_view::npos ? first : text.find('.', first + 1);
  if (second == std::string_view::npos || text.find('.', second + 1) != std::string_view::npos) {
    why = "token is not three base64url parts separated by '.'";
    return std::nullopt;
  }
  auto header = base64url_decode(text.substr(0, first));
  auto payload = base64url_decode(text.substr(first + 1, second - first - 1));
  auto signature = base64url_decode(text.substr(second + 1));
  if (!header || !payload || !signature || signature->empty()) {
    why = "token part is not base64url";
    return std::nullopt;
  }
  token t;
  if (!read_header(*header, t, why) || !read_payload(*payload, roles_claim, t, why))
    return std::nullopt;
  t.signing_input = text.substr(0, second);
  t.signature = std::move(*signature);
  return t;
}

claims_verdict check_claims(const token& t, std::int64_t now, const claim_rules& rules) {
  auto skew = rules.skew;
  std::string_view issuer = rules.issuer;
  std::string_view audience = rules.audience;
  if (!t.expires_at && rules.require_exp) return claims_verdict::no_expiry;
  if (t.expires_at && now - skew >= *t.expires_at) return claims_verdict::expired;
  // exp > now - skew here, so exp - now cannot overflow.
  if (t.expires_at && rules.max_lifetime > 0 && *t.expires_at - now > rules.max_lifetime + skew)
    return claims_verdict::too_long;
  if (t.not_before && now + skew < *t.not_before) return claims_verdict::not_yet_valid;
  if (!issuer.empty() && t.issuer != issuer) return claims_verdict::wrong_issuer;
  if (!audience.empty() &&
      std::find(t.audience.begin(), t.audience.end(), audience) == t.audience.end())
    return claims_verdict::wrong_audience;
  return claims_verdict::valid;
}

std::string_view to_string(algorithm alg) {
  switch (alg) {
    case algorithm::hs256:
      return "HS256";
    case algorithm::rs256:
      return "RS256";
    case algorithm::es256:
      return "ES256";
  }
  return "unknown";
}

}  // namespace sluice::security::jwt
