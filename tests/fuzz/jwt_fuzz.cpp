// libFuzzer target: any bytes presented as a credential (a JWT or an API key)
// must be parsed, verified and judged without crashing, and only a token
// signed with the configured key may be admitted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "security/authenticator.hpp"
#include "security/jwt/jwt.hpp"

namespace {

const sluice::security::authenticator& auth() {
  static const auto instance = [] {
    sluice::config::auth_config cfg;
    cfg.anonymous = false;
    cfg.issuer = "https://issuer.test";
    cfg.jwt_keys.push_back({.algorithm = "HS256",
                            .kid = {},
                            .secret = "fuzzing-secret-of-at-least-32-bytes",
                            .public_key = {},
                            .public_key_file = {},
                            .place = {}});
    std::string error;
    auto created = sluice::security::authenticator::create(cfg, error);
    if (!created) std::abort();
    return created;
  }();
  return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  std::string why;
  if (auto t = sluice::security::jwt::parse(text, "roles", why))
    sluice::security::jwt::check_claims(*t, 1'700'000'000, {30, "iss", "aud", true, 86400});
  auth().authenticate(text, 1'700'000'000);
  return 0;
}
