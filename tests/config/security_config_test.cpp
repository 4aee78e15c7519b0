#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace sluice::config {
namespace {

using ::testing::ElementsAre;

constexpr std::string_view routes = "routes: {up: {kind: uppercase}}\n";
const std::string hash(64, 'a');

std::vector<std::string> errors_of(const std::string& yaml) {
  std::vector<std::string> out;
  auto result = load_string(std::string{routes} + yaml, "auth.yaml");
  if (auto* errors = std::get_if<std::vector<error>>(&result))
    for (const auto& e : *errors) out.push_back(e.to_string());
  return out;
}

config loaded(const std::string& yaml) {
  auto result = load_string(std::string{routes} + yaml, "auth.yaml");
  if (auto* errors = std::get_if<std::vector<error>>(&result)) {
    for (const auto& e : *errors) ADD_FAILURE() << e.to_string();
    return {};
  }
  return std::get<config>(result);
}

TEST(SecurityConfig, ReadsAuthRateLimitsAndAccessLists) {
  auto cfg = loaded(
      "auth:\n  anonymous: false\n  clock_skew: 5s\n  jwt:\n    issuer: iss\n    audience: aud\n"
      "    keys:\n      - {algorithm: HS256, secret: 0123456789abcdef0123456789abcdef}\n"
      "  api_keys:\n    ci: {sha256: " +
      hash +
      ", sub: ci-bot, roles: [deploy]}\n"
      "rate_limits:\n  session_messages: {points: 50, per: 1s, block_for: 30s}\n"
      "  close_after: 3\n"
      "server:\n  allowed_origins: [\"https://a.example\"]\n  max_connections_per_ip: 7\n"
      "topics:\n  patterns:\n    \"team.*\": {subscribe: [\"claim:team=red\", owner], publish: "
      "false}\n");
  EXPECT_FALSE(cfg.auth.anonymous);
  EXPECT_EQ(cfg.auth.clock_skew, std::chrono::seconds(5));
  ASSERT_EQ(cfg.auth.jwt_keys.size(), 1u);
  EXPECT_EQ(cfg.auth.jwt_keys[0].place.line, 9);
  EXPECT_EQ(cfg.auth.jwt_keys[0].place.column, 9);
  EXPECT_EQ(cfg.auth.api_keys[0].subject, "ci-bot");
  EXPECT_EQ(cfg.rate_limits.session_messages.points, 50u);
  EXPECT_EQ(cfg.rate_limits.session_messages.block_for, std::chrono::seconds(30));
  EXPECT_EQ(cfg.rate_limits.close_after, 3u);
  EXPECT_EQ(cfg.server.max_connections_per_ip, 7u);
  const auto* team = cfg.topics.find_rule("team.red");
  ASSERT_NE(team, nullptr);
  EXPECT_THAT(team->subscribe.principals, ElementsAre("claim:team=red", "owner"));
  EXPECT_FALSE(team->publish.everyone);
  const auto* user = cfg.topics.find_rule("user.alice");
  ASSERT_NE(user, nullptr);
  EXPECT_THAT(user->subscribe.principals, ElementsAre("owner"));
}

TEST(SecurityConfig, ReportsBadKeysWithTheirPlace) {
  EXPECT_THAT(
      errors_of("auth:\n  jwt:\n    keys:\n      - {algorithm: HS256, secret: short}\n"
                "      - {algorithm: RS256}\n      - {algorithm: PS256}\n"),
      ElementsAre("auth.yaml:5:36: auth.jwt.keys[0].secret: an HS256 secret must be at least "
                  "32 bytes (it is 5)",
                  "auth.yaml:6:9: auth.jwt.keys[1]: RS256 takes one of `public_key` or "
                  "`public_key_file`",
                  "auth.yaml:7:21: auth.jwt.keys[2].algorithm: expected one of HS256, RS256, "
                  "ES256, got \"PS256\""));
  EXPECT_THAT(errors_of("auth:\n  api_keys:\n    ci: {sha256: plain-text-key}\n"),
              ElementsAre("auth.yaml:4:18: auth.api_keys.ci.sha256: expected the key's SHA-256 "
                          "as 64 lowercase hex digits (printf %s KEY | sha256sum); the key itself "
                          "never goes in the config"));
  EXPECT_THAT(errors_of("auth:\n  anonymous: false\n"),
              ElementsAre("auth.yaml:3:3: auth.anonymous: anonymous access is off, but no jwt "
                          "keys or api_keys could admit anyone"));
}

TEST(SecurityConfig, ReportsBadPrincipalsAndReservedPatterns) {
  EXPECT_THAT(
      errors_of("topics:\n  patterns:\n    \"a.*.*\": {subscribe: [owner]}\n"
                "    \"user.*\": {}\n    \"b.*\": {publish: [\"admins\"]}\n"),
      ElementsAre("auth.yaml:4:27: topics.patterns.a.*.*.subscribe[0]: expected authenticated, "
                  "role:NAME, sub:SUBJECT, key:NAME, claim:NAME=VALUE, got \"owner\"",
                  "auth.yaml:5:5: topics.patterns.user.*: user channels are configured under "
                  "topics.user",
                  "auth.yaml:6:23: topics.patterns.b.*.publish[0]: expected authenticated, "
                  "role:NAME, sub:SUBJECT, key:NAME, claim:NAME=VALUE or owner, got \"admins\""));
  EXPECT_THAT(errors_of("rate_limits:\n  ip_messages: {per: 1s}\n"),
              ElementsAre("auth.yaml:3:16: rate_limits.ip_messages.points: missing"));
}

}  // namespace
}  // namespace sluice::config
