#include "actors/upstream/backoff.hpp"

#include <gtest/gtest.h>

namespace sluice::actors {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, CeilingGrowsByTheMultiplierUpToMax) {
  backoff_policy p{milliseconds{100}, milliseconds{1000}, 2.0};
  EXPECT_EQ(p.ceiling(0), milliseconds{100});
  EXPECT_EQ(p.ceiling(1), milliseconds{200});
  EXPECT_EQ(p.ceiling(3), milliseconds{800});
  EXPECT_EQ(p.ceiling(4), milliseconds{1000});
  EXPECT_EQ(p.ceiling(10'000), milliseconds{1000});  // no overflow
}

TEST(Backoff, FullJitterStaysWithinTheCeilingAndSpreads) {
  backoff_policy p{milliseconds{100}, milliseconds{10'000}, 1.5};
  std::mt19937_64 rng{42};
  milliseconds lowest{p.ceiling(5)}, highest{0};
  for (int i = 0; i < 1000; ++i) {
    auto d = p.delay(5, rng);
    ASSERT_GE(d.count(), 0);
    ASSERT_LE(d, p.ceiling(5));
    lowest = std::min(lowest, d);
    highest = std::max(highest, d);
  }
  // Full jitter: waits cover the range, not one value.
  EXPECT_LT(lowest, p.ceiling(5) / 4);
  EXPECT_GT(highest, p.ceiling(5) * 3 / 4);
}

}  // namespace
}  // namespace sluice::actors
