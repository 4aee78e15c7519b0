#include "actors/errors.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "actors/messages.hpp"

namespace sluice::actors {
namespace {

TEST(Errors, EveryCodeComesBackIncludingTheFirst) {
  for (int i = 0; i <= static_cast<int>(last_ec); ++i) {
    auto code = static_cast<ec>(i);
    caf::error e = make_error(code);
    EXPECT_TRUE(e) << to_string(code);  // code 0 too: CAF reads a zero code as "no error"
    EXPECT_EQ(ec_of(e), code);
  }
}

TEST(Errors, OthersAreNotOurs) {
  EXPECT_EQ(ec_of(caf::error{}), std::nullopt);
  EXPECT_EQ(ec_of(caf::make_error(caf::sec::request_timeout)), std::nullopt);
  EXPECT_EQ(message_of(caf::make_error(caf::sec::request_timeout)), "");
  EXPECT_EQ(publish_failure_of(caf::make_error(caf::sec::request_timeout)).code,
            ec::storage_failed);
}

TEST(Errors, AMessageTravelsWithTheCode) {
  auto e = make_error(ec::invalid_offset, "`since` 9 is past the last offset (3)");
  EXPECT_EQ(ec_of(e), ec::invalid_offset);
  EXPECT_EQ(message_of(e), "`since` 9 is past the last offset (3)");
  EXPECT_EQ(message_of(make_error(ec::invalid_offset)), "");
}

TEST(Errors, PublishFailuresSayWhatHappened) {
  auto lost = publish_failure_of(make_error(ec::owner_unavailable));
  EXPECT_EQ(lost.code, ec::owner_unavailable);
  EXPECT_NE(lost.message.find("may not have been published"), std::string::npos);
  EXPECT_EQ(publish_failure_of(make_error(ec::storage_failed)).code, ec::storage_failed);
}

// Errors cross nodes: what a node serializes, another reads back as the same code.
TEST(Errors, SurviveSerializationAndRenderByName) {
  caf::actor_system_config cfg;
  register_message_types(cfg);
  caf::actor_system system{cfg};
  std::vector<char> buf;
  caf::binary_serializer sink{system, buf};
  auto sent = make_error(ec::owner_unavailable, "lost");
  ASSERT_FALSE(sink(sent));
  caf::error received;
  caf::binary_deserializer source{system, buf};
  ASSERT_FALSE(source(received));
  EXPECT_EQ(ec_of(received), ec::owner_unavailable);
  EXPECT_EQ(message_of(received), "lost");
  EXPECT_NE(system.render(received).find("owner_unavailable"), std::string::npos);
  // A code from a newer node that this one does not know is an internal error here.
  EXPECT_EQ(ec_of(caf::error{static_cast<std::uint8_t>(250), ec_category}), ec::internal);
}

// A topic's history crosses nodes as typed records, binary data intact.
TEST(Messages, HistoryCopiesSurviveSerialization) {
  caf::actor_system_config cfg;
  register_message_types(cfg);
  caf::actor_system system{cfg};
  history_copy sent{
      7, 43, {{42, 1700000000123, 2, "{\"x\":1}"}, {43, -5, 0, std::string("bin\0ary", 7)}}};
  std::vector<char> buf;
  caf::binary_serializer sink{system, buf};
  ASSERT_FALSE(sink(sent));
  history_copy back;
  caf::binary_deserializer source{system, buf};
  ASSERT_FALSE(source(back));
  EXPECT_EQ(back.epoch, 7u);
  EXPECT_EQ(back.last, 43u);
  ASSERT_EQ(back.records.size(), 2u);
  EXPECT_EQ(back.records[0].offset, 42u);
  EXPECT_EQ(back.records[0].ts_ms, 1700000000123);
  EXPECT_EQ(back.records[0].kind, 2);
  EXPECT_EQ(back.records[0].data, sent.records[0].data);
  EXPECT_EQ(back.records[1].ts_ms, -5);
  EXPECT_EQ(back.records[1].data, sent.records[1].data);
}

// A worker's frame reaches a job on another node as it was decoded.
TEST(Messages, JobUpdatesSurviveSerialization) {
  caf::actor_system_config cfg;
  register_message_types(cfg);
  caf::actor_system system{cfg};
  protocol::job_update sent{R"("j-1")", "error", R"({"x":1})", "oom"};
  std::vector<char> buf;
  caf::binary_serializer sink{system, buf};
  ASSERT_FALSE(sink(sent));
  protocol::job_update back;
  caf::binary_deserializer source{system, buf};
  ASSERT_FALSE(source(back));
  EXPECT_EQ((std::vector<std::string>{back.job, back.kind, back.data, back.message}),
            (std::vector<std::string>{sent.job, sent.kind, sent.data, sent.message}));
}

}  // namespace
}  // namespace sluice::actors
