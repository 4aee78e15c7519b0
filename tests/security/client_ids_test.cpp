#include "security/client_ids.hpp"

#include <gtest/gtest.h>

#include "core/topic_name.hpp"

namespace sluice::security {
namespace {

identity with_sub(std::string sub) {
  identity who;
  who.subject = std::move(sub);
  return who;
}

TEST(ClientIds, APrincipalIsTheSubElseTheApiKey) {
  EXPECT_EQ(principal_of(with_sub("alice")), "alice");
  identity key;
  key.key_name = "dashboard";
  EXPECT_EQ(principal_of(key), "key:dashboard");
  EXPECT_EQ(principal_of(identity{}), std::nullopt);
}

TEST(ClientIds, EachPrincipalHasItsOwnNamespace) {
  EXPECT_EQ(client_inbox(identity{}, "laptop"), "inbox.laptop");
  EXPECT_EQ(client_inbox(with_sub("alice"), "laptop"), "inbox.alice:laptop");
  EXPECT_NE(client_inbox(with_sub("alice"), "laptop"), client_inbox(with_sub("bob"), "laptop"));
  // Subjects that are not plain, and plain ones that look like a hashed tag, are hashed.
  for (const std::string& sub : std::vector<std::string>{"alice@example.com", "auth0|123", "h-abc",
                                                         "a.b", std::string(49, 'x')}) {
    auto tag = principal_tag(sub);
    EXPECT_TRUE(tag.starts_with("h-")) << sub;
    EXPECT_EQ(tag.size(), 34u) << sub;
    auto inbox = client_inbox(with_sub(sub), std::string(64, 'c'));
    EXPECT_TRUE(topic_name::valid(inbox)) << inbox;
  }
  EXPECT_NE(principal_tag("a.b"), principal_tag("a.c"));
  // An anonymous client id cannot name a principal's inbox: client ids have no ':'.
  EXPECT_NE(client_inbox(with_sub("alice"), "x").find(':'), std::string::npos);
}

TEST(ClientIds, DigestsCompareWhole) {
  auto d = credential_digest("0123456789abcdef0123456789abcdef");
  EXPECT_EQ(d.size(), 64u);
  EXPECT_TRUE(same_digest(d, credential_digest("0123456789abcdef0123456789abcdef")));
  EXPECT_FALSE(same_digest(d, credential_digest("0123456789abcdef0123456789abcdee")));
  EXPECT_FALSE(same_digest(d, d.substr(0, 63)));
  EXPECT_FALSE(same_digest(d, ""));
}

}  // namespace
}  // namespace sluice::security
