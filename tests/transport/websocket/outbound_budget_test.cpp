#include "transport/websocket/outbound_budget.hpp"

#include <gtest/gtest.h>

namespace sluice::transport {
namespace {

TEST(OutboundBudget, BoundsFrames) {
  outbound_budget b{2, 1000};
  EXPECT_TRUE(b.try_reserve(10));
  EXPECT_TRUE(b.try_reserve(10));
  EXPECT_FALSE(b.try_reserve(10));
  EXPECT_EQ(b.frames(), 2u);
  b.release(10);
  EXPECT_TRUE(b.try_reserve(10));
}

TEST(OutboundBudget, BoundsBytes) {
  outbound_budget b{100, 50};
  EXPECT_TRUE(b.try_reserve(30));
  EXPECT_FALSE(b.try_reserve(30));
  EXPECT_EQ(b.bytes(), 30u);
  EXPECT_TRUE(b.try_reserve(20));
  EXPECT_EQ(b.bytes(), 50u);
}

TEST(OutboundBudget, OversizedFrameOnlyIntoEmptyQueue) {
  outbound_budget b{100, 50};
  EXPECT_TRUE(b.try_reserve(80));  // alone: admitted, so it is never refused forever
  EXPECT_FALSE(b.try_reserve(1));
  b.release(80);
  EXPECT_TRUE(b.try_reserve(1));
  EXPECT_FALSE(b.try_reserve(80));
}

}  // namespace
}  // namespace sluice::transport
