#include "core/observe/mailbox_gauge.hpp"

#include <gtest/gtest.h>

#include "core/observe/metrics.hpp"

namespace sluice {
namespace {

std::int64_t gauge_of(const char* name, mailbox_kind kind) {
  const char* label = kind == mailbox_kind::topic ? "topic" : "upstream";
  return metrics::registry::global().add_gauge_family(name, "", {"actor"}).with({label}).value();
}

TEST(MailboxGauge, CountsDepthAgainstItsBound) {
  mailbox_gauge box{mailbox_kind::topic, 3};
  EXPECT_FALSE(box.full());
  EXPECT_EQ(box.accepted(), 1u);
  EXPECT_EQ(box.accepted(2), 3u);
  EXPECT_TRUE(box.full());
  EXPECT_EQ(box.handled(), 2u);
  EXPECT_FALSE(box.full());
  EXPECT_EQ(box.handled(5), 0u);  // never below zero
  EXPECT_EQ(box.depth(), 0u);
}

TEST(MailboxGauge, KindMetricsSumDepthsAndKeepTheHighestOne) {
  auto before = gauge_of("sluice_mailbox_depth", mailbox_kind::upstream);
  {
    mailbox_gauge a{mailbox_kind::upstream, 10}, b{mailbox_kind::upstream, 10};
    a.accepted(4);
    b.accepted(2);
    EXPECT_EQ(gauge_of("sluice_mailbox_depth", mailbox_kind::upstream), before + 6);
    EXPECT_GE(gauge_of("sluice_mailbox_depth_high_water", mailbox_kind::upstream), 4);
    a.handled(4);
    EXPECT_EQ(gauge_of("sluice_mailbox_depth", mailbox_kind::upstream), before + 2);
    EXPECT_EQ(gauge_of("sluice_mailbox_bound", mailbox_kind::upstream), 10);
  }
  // Actors that end take what they still held out of the sum.
  EXPECT_EQ(gauge_of("sluice_mailbox_depth", mailbox_kind::upstream), before);
}

TEST(MailboxGauge, TrackFollowsAQueueTheActorKeeps) {
  mailbox_gauge box{mailbox_kind::upstream, 5};
  box.track(3);
  EXPECT_EQ(box.depth(), 3u);
  box.track(1);
  EXPECT_EQ(box.depth(), 1u);
  box.track(5);
  EXPECT_TRUE(box.full());
}

TEST(MailboxGauge, DropsAreCountedPerKind) {
  auto& drops = metrics::registry::global()
                    .add_counter_family("sluice_mailbox_drops_total", "", {"actor"})
                    .with({"topic"});
  auto before = drops.value();
  mailbox_gauge box{mailbox_kind::topic, 1};
  box.dropped(2);
  EXPECT_EQ(drops.value(), before + 2);
}

}  // namespace
}  // namespace sluice
