#include "core/storage/append_log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace sluice {
namespace {

namespace fs = std::filesystem;

class AppendLog : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = "sluice-log-";
    name.append(std::to_string(::getpid())).append("-");
    name.append(::testing::UnitTest::GetInstance()->current_test_info()->name());
    dir_ = fs::temp_directory_path() / name;
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = topic_log_path(dir_.string(), "chat.a");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes records 1..n with data "m<offset>".
  void write(int n, std::uint64_t epoch = 7) {
    append_log log;
    append_log::opened o;
    std::string error;
    ASSERT_TRUE(log.open(path_, epoch, o, error)) << error;
    for (int i = 1; i <= n; ++i)
      ASSERT_TRUE(
          log.append({std::uint64_t(i), 1000 + i, 0, std::string{"m"}.append(std::to_string(i))},
                     i == n, error));
  }

  append_log::opened reopen(std::uint64_t new_epoch = 99) {
    append_log log;
    append_log::opened o;
    std::string error;
    EXPECT_TRUE(log.open(path_, new_epoch, o, error)) << error;
    return o;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(AppendLog, RecordsAndEpochSurviveReopening) {
  write(3);
  auto o = reopen();
  EXPECT_EQ(o.epoch, 7u);
  ASSERT_EQ(o.records.size(), 3u);
  EXPECT_EQ(o.records[2].offset, 3u);
  EXPECT_EQ(o.records[2].ts_ms, 1003);
  EXPECT_EQ(o.records[2].data, "m3");
  EXPECT_EQ(o.truncated_bytes, 0u);
  EXPECT_EQ(logged_topics(dir_.string()), std::vector<std::string>{"chat.a"});
}

TEST_F(AppendLog, NewFileTakesTheNewEpoch) {
  auto o = reopen(42);
  EXPECT_EQ(o.epoch, 42u);
  EXPECT_TRUE(o.records.empty());
}

TEST_F(AppendLog, TornTailIsTruncatedAndAppendsContinue) {
  write(3);
  auto size = fs::file_size(path_);
  fs::resize_file(path_, size - 2);  // the last record loses its end
  {
    auto o = reopen();
    ASSERT_EQ(o.records.size(), 2u);
    EXPECT_GT(o.truncated_bytes, 0u);
  }
  append_log log;
  append_log::opened o;
  std::string error;
  ASSERT_TRUE(log.open(path_, 1, o, error));
  ASSERT_TRUE(log.append({3, 5, 0, "again"}, true, error));
  auto again = reopen();
  ASSERT_EQ(again.records.size(), 3u);
  EXPECT_EQ(again.records[2].data, "again");
}

TEST_F(AppendLog, ChecksumMismatchEndsTheLog) {
  write(3);
  {
    std::fstream f{path_, std::ios::in | std::ios::out | std::ios::binary};
    f.seekp(-1, std::ios::end);
    f.put('X');  // flips the last record's data
  }
  auto o = reopen();
  EXPECT_EQ(o.records.size(), 2u);
  EXPECT_GT(o.truncated_bytes, 0u);
}

TEST_F(AppendLog, GarbageFileIsSetAsideNotTrusted) {
  {
    std::ofstream f{path_, std::ios::binary};
    f << "this is not a log at all";
  }
  auto o = reopen(5);
  EXPECT_EQ(o.epoch, 5u);
  EXPECT_TRUE(o.records.empty());
  EXPECT_NE(o.reset_reason.find(".corrupt"), std::string::npos);
  EXPECT_TRUE(fs::exists(path_ + ".corrupt"));
}

TEST_F(AppendLog, RewriteKeepsOnlyTheGivenRecords) {
  write(5);
  append_log log;
  append_log::opened o;
  std::string error;
  ASSERT_TRUE(log.open(path_, 1, o, error));
  std::vector<const log_record*> keep{&o.records[3], &o.records[4]};
  ASSERT_TRUE(log.rewrite(o.epoch, keep, error)) << error;
  ASSERT_TRUE(log.append({6, 0, 1, "six"}, true, error));
  auto again = reopen();
  ASSERT_EQ(again.records.size(), 3u);
  EXPECT_EQ(again.records[0].offset, 4u);
  EXPECT_EQ(again.records[2].kind, 1);
  EXPECT_EQ(again.epoch, 7u);
}

}  // namespace
}  // namespace sluice
