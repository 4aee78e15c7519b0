// The reply shortcut on its own, with an in-memory client link: what may
// take it, and that nothing sent through it can follow a request's last frame.
#include "actors/job/reply_shortcut.hpp"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "tests/actors/recording_link.hpp"

namespace sluice::actors {
namespace {

TEST(ReplyShortcut, FramesGoStraightToTheLinkWhileItKeepsUp) {
  auto link = std::make_shared<recording_link>();
  reply_shortcut shortcut{link};
  EXPECT_FALSE(shortcut.used());
  EXPECT_TRUE(shortcut.send("a"));
  EXPECT_TRUE(shortcut.send("b"));
  EXPECT_TRUE(shortcut.used());
  EXPECT_EQ(link->frames(2), (std::vector<std::string>{"a", "b"}));
}

TEST(ReplyShortcut, OnceTheClientIsBehindEveryLaterFrameTakesTheActorsPath) {
  auto link = std::make_shared<recording_link>();
  reply_shortcut shortcut{link};
  EXPECT_TRUE(shortcut.send("a"));
  link->congested_ = true;
  EXPECT_FALSE(shortcut.send("b"));
  link->congested_ = false;  // caught up: still closed, or "c" would overtake "b"
  EXPECT_FALSE(shortcut.send("c"));
  EXPECT_EQ(link->frame_count(), 1u);
}

TEST(ReplyShortcut, NothingGoesThisWayAfterClose) {
  auto link = std::make_shared<recording_link>();
  reply_shortcut shortcut{link};
  shortcut.close();
  EXPECT_FALSE(shortcut.send("a"));
  EXPECT_FALSE(shortcut.used());
  EXPECT_EQ(link->frame_count(), 0u);
}

// An upstream's thread streams numbered frames while another thread (the job
// or the session) closes the shortcut at a random moment and sends the last
// frame; congestion comes and goes at random. In every run the last frame is
// the last the client gets, the streamed ones arrive in order, and no frame
// took the shortcut after one was refused.
TEST(ReplyShortcut, RandomizedTheLastFrameIsAlwaysLast) {
  std::mt19937 rng{20261126};
  for (int run = 0; run < 300; ++run) {
    auto link = std::make_shared<recording_link>();
    auto shortcut = std::make_shared<reply_shortcut>(link);
    int frames = std::uniform_int_distribution<int>{0, 60}(rng);
    int congest_at = std::uniform_int_distribution<int>{0, 120}(rng);
    int close_after_us = std::uniform_int_distribution<int>{0, 200}(rng);
    bool refused_then_taken = false;
    std::thread upstream{[&] {
      bool refused = false;
      for (int i = 0; i < frames; ++i) {
        if (i == congest_at) link->congested_ = true;
        if (i == congest_at + 3) link->congested_ = false;  // the client caught up
        bool taken = shortcut->send(std::to_string(i));
        if (taken && refused) refused_then_taken = true;
        refused = refused || !taken;
      }
    }};
    std::this_thread::sleep_for(std::chrono::microseconds{close_after_us});
    shortcut->close();
    link->send(std::make_shared<const std::string>("last"));
    upstream.join();

    EXPECT_FALSE(refused_then_taken) << "run " << run;
    auto got = link->frames(link->frame_count());
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got.back(), "last") << "run " << run;
    for (std::size_t i = 0; i + 1 < got.size(); ++i)
      EXPECT_EQ(got[i], std::to_string(i)) << "run " << run;
  }
}

}  // namespace
}  // namespace sluice::actors
