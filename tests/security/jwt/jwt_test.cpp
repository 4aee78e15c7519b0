#include <gtest/gtest.h>

#include "security/jwt/base64url.hpp"
#include "security/jwt/jwt.hpp"
#include "security/jwt/jwt_keys.hpp"

namespace sluice::security {
namespace {

// RFC 7515, appendix A.1: an HS256 JWS and its key.
constexpr std::string_view rfc7515_token =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view rfc7515_key =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
constexpr std::int64_t rfc7515_exp = 1300819380;

jwt_keys hs256_keys(std::string secret) {
  config::jwt_key_config key;
  key.algorithm = "HS256";
  key.secret = std::move(secret);
  std::string error;
  auto keys = jwt_keys::load({key}, error);
  EXPECT_TRUE(keys) << error;
  return std::move(*keys);
}

TEST(Base64url, RoundTripsAndRejectsOtherAlphabets) {
  for (std::string_view s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00"}) {
    auto decoded = base64url_decode(base64url_encode(s));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, s);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64url_decode("a+b/"));   // base64, not base64url
  EXPECT_FALSE(base64url_decode("abcde"));  // a length no encoding has
  EXPECT_FALSE(base64url_decode("Zm9="));   // padding
  EXPECT_FALSE(base64url_decode("Zh"));     // non-zero leftover bits
}

TEST(Jwt, VerifiesTheRfc7515Example) {
  std::string why;
  auto t = jwt::parse(rfc7515_token, "roles", why);
  ASSERT_TRUE(t) << why;
  EXPECT_EQ(t->alg, jwt::algorithm::hs256);
  EXPECT_EQ(t->issuer, "joe");
  EXPECT_EQ(t->expires_at, rfc7515_exp);
  auto keys = hs256_keys(*base64url_decode(rfc7515_key));
  EXPECT_TRUE(keys.verify(*t));
  auto rules = [](std::int64_t skew, std::string iss, std::string aud) {
    return jwt::claim_rules{skew, std::move(iss), std::move(aud), true, 0};
  };
  EXPECT_EQ(jwt::check_claims(*t, rfc7515_exp - 1, rules(0, "joe", "")),
            jwt::claims_verdict::valid);
  EXPECT_EQ(jwt::check_claims(*t, rfc7515_exp, rules(0, "joe", "")), jwt::claims_verdict::expired);
  EXPECT_EQ(jwt::check_claims(*t, rfc7515_exp + 5, rules(10, "joe", "")),
            jwt::claims_verdict::valid);
  EXPECT_EQ(jwt::check_claims(*t, rfc7515_exp - 1, rules(0, "jane", "")),
            jwt::claims_verdict::wrong_issuer);
  EXPECT_EQ(jwt::check_claims(*t, rfc7515_exp - 1, rules(0, "", "sluice")),
            jwt::claims_verdict::wrong_audience);
}

TEST(Jwt, AnyChangedByteFailsVerification) {
  auto keys = hs256_keys(*base64url_decode(rfc7515_key));
  std::string why;
  std::string token{rfc7515_token};
  // Flip one character of the payload and, separately, of the signature.
  for (auto at : {token.find('.') + 5, token.rfind('.') + 3}) {
    auto tampered = token;
    tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
    auto t = jwt::parse(tampered, "roles", why);
    EXPECT_TRUE(!t || !keys.verify(*t)) << tampered;
  }
  EXPECT_FALSE(hs256_keys("another key of at least thirty-two bytes")
                   .verify(*jwt::parse(token, "roles", why)));
}

TEST(Jwt, RefusesMalformedAndUnsignedTokens) {
  std::string why;
  auto none =
      base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(R"({"sub":"a"})") + ".c2ln";
  EXPECT_FALSE(jwt::parse(none, "roles", why));
  EXPECT_EQ(why, "token algorithm is not HS256, RS256 or ES256");
  for (std::string_view bad : {"", "a.b", "a.b.c.d", "!!.e30.c2ln", "e30.e30.", "e30.e30.c2ln"})
    EXPECT_FALSE(jwt::parse(bad, "roles", why)) << bad;
  auto not_object =
      base64url_encode(R"({"alg":"HS256"})") + "." + base64url_encode("[1]") + ".c2ln";
  EXPECT_FALSE(jwt::parse(not_object, "roles", why));
  EXPECT_FALSE(jwt::parse(std::string(jwt::max_token_bytes + 1, 'a'), "roles", why));
}

TEST(Jwt, ReadsRolesAudienceAndScalarClaims) {
  std::string why;
  auto payload = base64url_encode(
      R"({"sub":"alice","aud":["a","b"],"roles":["admin","ops"],"plan":"pro","tier":3,)"
      R"("beta":true,"nbf":100.5,"nested":{"x":1}})");
  auto t = jwt::parse(base64url_encode(R"({"alg":"ES256","kid":"k1"})") + "." + payload + ".c2ln",
                      "roles", why);
  ASSERT_TRUE(t) << why;
  EXPECT_EQ(t->kid, "k1");
  EXPECT_EQ(t->audience, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t->roles, (std::vector<std::string>{"admin", "ops"}));
  EXPECT_EQ(t->not_before, 100);
  using claim = std::pair<std::string, std::string>;
  EXPECT_EQ(
      t->claims,
      (std::vector<claim>{
          {"sub", "alice"}, {"plan", "pro"}, {"tier", "3"}, {"beta", "true"}, {"nbf", "100.5"}}));
  auto scoped = jwt::parse(base64url_encode(R"({"alg":"HS256"})") + "." +
                               base64url_encode(R"({"scope":"read write"})") + ".c2ln",
                           "scope", why);
  EXPECT_EQ(scoped->roles, (std::vector<std::string>{"read", "write"}));
}

std::string unsigned_token(std::string_view header, std::string_view payload) {
  return base64url_encode(header) + "." + base64url_encode(payload) + ".c2ln";
}

TEST(Jwt, RefusesCriticalExtensionsAndRepeatedKeys) {
  std::string why;
  EXPECT_TRUE(jwt::parse(unsigned_token(R"({"alg":"HS256"})", R"({"sub":"a"})"), "roles", why));
  EXPECT_FALSE(jwt::parse(
      unsigned_token(R"({"alg":"HS256","crit":["exp"],"exp":1})", R"({"sub":"a"})"), "roles", why));
  EXPECT_NE(why.find("crit"), std::string::npos);
  EXPECT_FALSE(
      jwt::parse(unsigned_token(R"({"alg":"HS256","alg":"RS256"})", R"({})"), "roles", why));
  EXPECT_FALSE(jwt::parse(
      unsigned_token(R"({"alg":"HS256"})", R"({"sub":"a","roles":["user"],"roles":["admin"]})"),
      "roles", why));
  EXPECT_NE(why.find("\"roles\" twice"), std::string::npos) << why;
}

TEST(Jwt, ExpiryIsRequiredAndBounded) {
  std::string why;
  auto no_exp = jwt::parse(unsigned_token(R"({"alg":"HS256"})", R"({"sub":"a"})"), "roles", why);
  ASSERT_TRUE(no_exp);
  EXPECT_EQ(jwt::check_claims(*no_exp, 1000, {0, "", "", true, 0}), jwt::claims_verdict::no_expiry);
  EXPECT_EQ(jwt::check_claims(*no_exp, 1000, {0, "", "", false, 0}), jwt::claims_verdict::valid);
  // The largest exp there is: no arithmetic overflows, and the lifetime bound refuses it.
  auto far =
      jwt::parse(unsigned_token(R"({"alg":"HS256"})", R"({"sub":"a","exp":9223372036854775807})"),
                 "roles", why);
  ASSERT_TRUE(far);
  EXPECT_EQ(jwt::check_claims(*far, 1000, {30, "", "", true, 86400}),
            jwt::claims_verdict::too_long);
  EXPECT_EQ(jwt::check_claims(*far, 1000, {30, "", "", true, 0}), jwt::claims_verdict::valid);
  auto day =
      jwt::parse(unsigned_token(R"({"alg":"HS256"})", R"({"sub":"a","exp":87400})"), "roles", why);
  ASSERT_TRUE(day);
  EXPECT_EQ(jwt::check_claims(*day, 1000, {0, "", "", true, 86400}), jwt::claims_verdict::valid);
  EXPECT_EQ(jwt::check_claims(*day, 999, {0, "", "", true, 86400}), jwt::claims_verdict::too_long);
}

TEST(JwtKeys, ReportsKeysThatCannotBeLoaded) {
  config::jwt_key_config key;
  key.algorithm = "RS256";
  key.public_key = "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n";
  key.place = {7, 9};
  EXPECT_EQ(jwt_keys::check(key), "not a PEM RSA public key (-----BEGIN PUBLIC KEY-----)");
  std::string error;
  EXPECT_FALSE(jwt_keys::load({key}, error));
  EXPECT_EQ(error, "auth.jwt key at line 7: not a PEM RSA public key (-----BEGIN PUBLIC KEY-----)");
  key.public_key.clear();
  key.public_key_file = "/nonexistent.pem";
  EXPECT_EQ(jwt_keys::check(key), "cannot read public_key_file /nonexistent.pem");
  EXPECT_FALSE(jwt_keys::load({key}, error));
  key.algorithm = "HS256";
  key.secret = std::string(32, 's');
  EXPECT_EQ(jwt_keys::check(key), std::nullopt);
}

}  // namespace
}  // namespace sluice::security
