#include "actors/topic/store/store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "protocol/topic_frames.hpp"

namespace sluice::actors {
namespace {

log_record stored_event(std::string data) {
  return {0, 1000, static_cast<std::uint8_t>(protocol::frames::record_kind::event),
          std::move(data)};
}

class TopicStore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sluice-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    storage_.path = dir_.string();
    storage_.fsync = config::fsync_policy::interval;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  topic_store make(config::topic_rule rule = {}) {
    return topic_store{"news", rule, storage_, nullptr, [this] { ++armed_; }};
  }

  std::filesystem::path dir_;
  config::storage_config storage_;
  int armed_ = 0;
};

TEST_F(TopicStore, WithoutStorageHistoryAlone) {
  topic_store store{"news", {}, {}, nullptr, [] { FAIL() << "no log, no sync"; }};
  EXPECT_FALSE(store.has_storage());
  ASSERT_NE(store.append(stored_event("1")), nullptr);
  EXPECT_EQ(store.history().last(), 1u);
  EXPECT_FALSE(store.persistent());
}

TEST_F(TopicStore, WhatItStoresComesBackWithItsEpochAfterARestart) {
  std::uint64_t epoch = 42;
  {
    auto store = make();
    ASSERT_TRUE(store.open(epoch));
    for (int i = 1; i <= 3; ++i) ASSERT_NE(store.append(stored_event(std::to_string(i))), nullptr);
    EXPECT_EQ(armed_, 1);  // one interval sync armed for the lot
    store.sync();
    store.append(stored_event("4"));
    EXPECT_EQ(armed_, 2);
  }
  std::uint64_t reopened = 7;
  auto store = make();
  ASSERT_TRUE(store.open(reopened));
  EXPECT_EQ(reopened, 42u);
  EXPECT_EQ(store.history().last(), 4u);
  EXPECT_EQ(store.history().find(2)->record.data, "2");
}

TEST_F(TopicStore, HistoryBoundsHoldAndTheLogIsCompactedToThem) {
  config::topic_rule rule;
  rule.history_size = 10;
  std::uint64_t epoch = 1;
  {
    auto store = make(rule);
    ASSERT_TRUE(store.open(epoch));
    for (int i = 1; i <= 3000; ++i) {
      store.append(stored_event(std::to_string(i)));
      store.compact_if_long(epoch);
    }
    EXPECT_EQ(store.history().size(), 10u);
  }
  // Compaction kept the log near what history holds, not 3000 records.
  auto size = std::filesystem::file_size(topic_log_path(storage_.path, "news"));
  EXPECT_LT(size, 1200u * 64u);
  auto store = make(rule);
  ASSERT_TRUE(store.open(epoch));
  EXPECT_EQ(store.history().first(), 2991u);
  EXPECT_EQ(store.history().last(), 3000u);
}

TEST_F(TopicStore, AnUnusableLogRefusesAppendsRatherThanLoseThem) {
  std::filesystem::create_directories(topic_log_path(storage_.path, "news"));  // a directory
  auto store = make();
  std::uint64_t epoch = 1;
  EXPECT_FALSE(store.open(epoch));
  EXPECT_EQ(store.append(stored_event("1")), nullptr);
  EXPECT_EQ(store.history().last(), 0u);
}

TEST_F(TopicStore, ARewriteReplacesTheLogAndEraseRemovesIt) {
  std::uint64_t epoch = 1;
  auto store = make();
  ASSERT_TRUE(store.open(epoch));
  store.append(stored_event("a"));
  store.history().reset({{5, 1000, 0, "\"b\""}}, 5);
  store.rewrite(9);
  {
    auto again = make();
    std::uint64_t e = 0;
    ASSERT_TRUE(again.open(e));
    EXPECT_EQ(e, 9u);
    EXPECT_EQ(again.history().last(), 5u);
  }
  store.erase();
  EXPECT_FALSE(store.persistent());
  EXPECT_FALSE(std::filesystem::exists(topic_log_path(storage_.path, "news")));
}

}  // namespace
}  // namespace sluice::actors
