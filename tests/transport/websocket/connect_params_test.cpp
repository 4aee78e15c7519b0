#include "transport/websocket/connect_params.hpp"

#include <gtest/gtest.h>

namespace sluice::transport {
namespace {

TEST(ConnectParams, ClientIdSinceEpoch) {
  std::string error;
  auto p = parse_connect_params("client_id=alice&since=41&epoch=5&other=x", error);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->client_id, "alice");
  EXPECT_EQ(p->since, 41);
  EXPECT_EQ(p->epoch, 5u);
  auto none = parse_connect_params("", error);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->client_id, "");
  EXPECT_EQ(none->since, -1);
  auto resumed = parse_connect_params("client_id=a&resume=" + std::string(32, 'f'), error);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->resume, std::string(32, 'f'));
}

TEST(ConnectParams, Refusals) {
  std::string error;
  EXPECT_FALSE(parse_connect_params("client_id=a/b", error));
  EXPECT_FALSE(parse_connect_params("client_id=", error));
  EXPECT_FALSE(parse_connect_params("client_id=" + std::string(65, 'a'), error));
  EXPECT_FALSE(parse_connect_params("client_id=a&since=-3", error));
  EXPECT_FALSE(parse_connect_params("client_id=a&epoch=0", error));
  EXPECT_FALSE(parse_connect_params("since=3", error));
  EXPECT_EQ(error, "since resumes an inbox: give the client_id too");
  // ':' separates a principal's tag from its client ids.
  EXPECT_FALSE(parse_connect_params("client_id=alice:laptop", error));
  EXPECT_FALSE(parse_connect_params("resume=" + std::string(32, 'f'), error));
  EXPECT_FALSE(parse_connect_params("client_id=a&resume=" + std::string(31, 'f'), error));
  EXPECT_FALSE(parse_connect_params("client_id=a&resume=" + std::string(32, 'F'), error));
}

}  // namespace
}  // namespace sluice::transport
