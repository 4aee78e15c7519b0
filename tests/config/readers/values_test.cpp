#include "config/readers/values.hpp"

#include <gtest/gtest.h>

namespace sluice::config {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsUnits) {
  EXPECT_EQ(parse_duration("250ms"), milliseconds{250});
  EXPECT_EQ(parse_duration("1s"), milliseconds{1000});
  EXPECT_EQ(parse_duration("5m"), milliseconds{300000});
  EXPECT_EQ(parse_duration("2h"), milliseconds{7200000});
  EXPECT_EQ(parse_duration("0"), milliseconds{0});
}

TEST(ParseDuration, RejectsMissingOrUnknownUnits) {
  EXPECT_FALSE(parse_duration("10"));
  EXPECT_FALSE(parse_duration("1d"));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration("1.5s"));
  EXPECT_FALSE(parse_duration("99999999999999999h"));
}

TEST(ParseSize, AcceptsBytesAndUnits) {
  EXPECT_EQ(parse_size("65536"), 65536u);
  EXPECT_EQ(parse_size("64KiB"), 65536u);
  EXPECT_EQ(parse_size("1MiB"), 1048576u);
  EXPECT_EQ(parse_size("2KB"), 2000u);
  EXPECT_FALSE(parse_size("1TiB"));
  EXPECT_FALSE(parse_size("lots"));
}

TEST(ParseUnsigned, WholeNumbersOnly) {
  EXPECT_EQ(parse_unsigned("3000"), 3000u);
  EXPECT_FALSE(parse_unsigned("30.5"));
  EXPECT_FALSE(parse_unsigned("-1"));
  EXPECT_FALSE(parse_unsigned(""));
  EXPECT_FALSE(parse_unsigned("12abc"));
}

TEST(ParseUrl, SplitsHostPortAndPath) {
  auto url = parse_url("ws://127.0.0.1:8000/ws?x=1", "ws");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, "8000");
  EXPECT_EQ(url->path, "/ws?x=1");
  auto bare = parse_url("http://example", "http");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->port, "80");
  EXPECT_EQ(bare->path, "/");
  EXPECT_FALSE(parse_url("wss://h:1/", "ws"));
  EXPECT_FALSE(parse_url("ws://:80/", "ws"));
  EXPECT_FALSE(parse_url("ws://h:0/", "ws"));
  EXPECT_FALSE(parse_url("ws://h:port/", "ws"));
  EXPECT_FALSE(parse_url("http://h/", "ws"));
}

env_lookup fake_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (name == "PORT") return "4000";
    if (name == "EMPTY") return "";
    return std::nullopt;
  };
}

TEST(ExpandEnv, SubstitutesVariablesAndDefaults) {
  std::string why;
  EXPECT_EQ(expand_env("${PORT}", why, fake_env()), "4000");
  EXPECT_EQ(expand_env("p=${PORT}/${MISSING:-x y}", why, fake_env()), "p=4000/x y");
  EXPECT_EQ(expand_env("${EMPTY:-fallback}", why, fake_env()), "");  // set but empty is kept
  EXPECT_EQ(expand_env("cost $5 and $${literal}", why, fake_env()), "cost $5 and ${literal}");
}

TEST(ExpandEnv, ReportsUnsetAndMalformed) {
  std::string why;
  EXPECT_FALSE(expand_env("${MISSING}", why, fake_env()));
  EXPECT_EQ(why,
            "environment variable MISSING is not set and has no default (${MISSING:-default})");
  EXPECT_FALSE(expand_env("${PORT", why, fake_env()));
  EXPECT_EQ(why, "unterminated ${ in \"${PORT\"");
  EXPECT_FALSE(expand_env("${BAD-NAME}", why, fake_env()));
  EXPECT_EQ(why, "invalid environment variable name \"BAD-NAME\"");
}

}  // namespace
}  // namespace sluice::config
