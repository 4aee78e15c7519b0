#include "security/join_proof.hpp"

#include <gtest/gtest.h>

namespace sluice::security {
namespace {

constexpr std::string_view secret = "0123456789abcdef-shared";

TEST(JoinProof, AcceptsTheSameSecretNameAndProcess) {
  auto proof = join_proof(secret, "n1", "proc-1");
  EXPECT_EQ(proof.size(), 64u);  // SHA-256 in hex
  EXPECT_TRUE(join_proof_matches(secret, "n1", "proc-1", proof));
}

TEST(JoinProof, RefusesAnotherSecretNameOrProcess) {
  auto proof = join_proof(secret, "n1", "proc-1");
  EXPECT_FALSE(join_proof_matches("another-secret-of-16", "n1", "proc-1", proof));
  EXPECT_FALSE(join_proof_matches(secret, "n2", "proc-1", proof));
  EXPECT_FALSE(join_proof_matches(secret, "n1", "proc-2", proof));
  EXPECT_FALSE(join_proof_matches(secret, "n1", "proc-1", proof.substr(1)));
  EXPECT_FALSE(join_proof_matches(secret, "n1", "proc-1", ""));
}

}  // namespace
}  // namespace sluice::security
