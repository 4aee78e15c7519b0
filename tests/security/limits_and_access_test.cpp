#include <gtest/gtest.h>

#include "security/access.hpp"
#include "security/authenticator.hpp"
#include "security/rate_limiter.hpp"
#include "security/token_bucket.hpp"

namespace sluice::security {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

TEST(TokenBucket, RefillsContinuouslyAndBlocks) {
  config::rate_limit limit{.points = 2, .per = 1000ms, .block_for = 0ms};
  steady_time t0{};
  token_bucket bucket{limit, t0};
  EXPECT_EQ(bucket.take(limit, t0), 0ms);
  EXPECT_EQ(bucket.take(limit, t0), 0ms);
  EXPECT_EQ(bucket.take(limit, t0), 500ms);  // one point back every 500 ms
  EXPECT_EQ(bucket.take(limit, t0 + 250ms), 250ms);
  EXPECT_EQ(bucket.take(limit, t0 + 500ms), 0ms);
  EXPECT_FALSE(bucket.idle(limit, t0 + 600ms));
  EXPECT_TRUE(bucket.idle(limit, t0 + 1500ms));
}

TEST(TokenBucket, BlockForHoldsAnEmptiedBucket) {
  config::rate_limit limit{.points = 1, .per = 1000ms, .block_for = 10000ms};
  steady_time t0{};
  token_bucket bucket{limit, t0};
  EXPECT_EQ(bucket.take(limit, t0), 0ms);
  EXPECT_EQ(bucket.take(limit, t0), 10000ms);
  EXPECT_EQ(bucket.take(limit, t0 + 4000ms), 6000ms);  // refilled, but still blocked
  EXPECT_EQ(bucket.take(limit, t0 + 10000ms), 0ms);
}

TEST(RateLimiter, KeysHaveTheirOwnBucketsAndIdleOnesAreForgotten) {
  rate_limiter limiter{{.points = 1, .per = 1000ms, .block_for = 0ms}};
  steady_time t0{};
  EXPECT_EQ(limiter.take("10.0.0.1", t0), 0ms);
  EXPECT_GT(limiter.take("10.0.0.1", t0), 0ms);
  EXPECT_EQ(limiter.take("10.0.0.2", t0), 0ms);
  for (int i = 0; i < 1500; ++i) limiter.take(std::to_string(i), t0);
  // Later, other keys: growing past the sweep mark forgets the buckets that refilled.
  for (int i = 0; i < 600; ++i) limiter.take(std::to_string(-i), t0 + 5000ms);
  EXPECT_LT(limiter.tracked(), 700u);
  EXPECT_FALSE(rate_limiter{{}}.enabled());
}

TEST(Access, PrincipalsMatchTheIdentity) {
  identity alice;
  alice.subject = "alice";
  alice.roles = {"ops"};
  alice.claims = {{"plan", "pro"}};
  identity key;
  key.key_name = "dashboard";
  identity anonymous;
  config::access_list list{false, {"role:admin", "claim:plan=pro"}};
  EXPECT_TRUE(allows(list, alice));
  EXPECT_FALSE(allows(list, key));
  EXPECT_TRUE(allows({false, {"key:dashboard"}}, key));
  EXPECT_TRUE(allows({false, {"authenticated"}}, key));
  EXPECT_FALSE(allows({false, {"authenticated"}}, anonymous));
  EXPECT_FALSE(allows({false, {"sub:"}}, anonymous));
  EXPECT_TRUE(allows({}, anonymous));
  EXPECT_FALSE(allows(config::access_list::no_one(), alice));
  EXPECT_TRUE(allows({false, {"owner"}}, alice, owner_part("user.*", "user.alice")));
  EXPECT_FALSE(allows({false, {"owner"}}, alice, owner_part("user.*", "user.bob")));
  EXPECT_FALSE(allows({false, {"owner"}}, anonymous, owner_part("user.*", "user.")));
}

TEST(Access, OwnerPartIsWhatTheSingleStarMatched) {
  EXPECT_EQ(owner_part("user.*", "user.alice"), "alice");
  EXPECT_EQ(owner_part("room.*.private", "room.bob.private"), "bob");
  EXPECT_EQ(owner_part("a.*.*", "a.b.c"), "");
  EXPECT_EQ(owner_part("exact", "exact"), "");
}

TEST(Authenticator, ApiKeysAreComparedByHash) {
  config::auth_config cfg;
  cfg.anonymous = false;
  cfg.api_keys.push_back({"dashboard", sha256_hex("s3cret-key"), "dash", {"admin"}});
  std::string error;
  auto auth = authenticator::create(cfg, error);
  ASSERT_TRUE(auth) << error;
  auto ok = auth->authenticate("s3cret-key", 0);
  ASSERT_TRUE(ok.who);
  EXPECT_EQ(ok.who->key_name, "dashboard");
  EXPECT_EQ(ok.who->roles, std::vector<std::string>{"admin"});
  auto wrong = auth->authenticate("s3cret-kez", 0);
  EXPECT_FALSE(wrong.who);
  EXPECT_EQ(wrong.code, ec::unauthenticated);
  EXPECT_EQ(wrong.message.find("s3cret"), std::string::npos);  // never echoes the credential
  EXPECT_FALSE(auth->authenticate("", 0).who);
  EXPECT_TRUE(auth->authenticate_http_api("").who);  // no http_api_keys: the API is open
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace sluice::security
