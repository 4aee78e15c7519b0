#include "transport/websocket/handshake.hpp"

#include <gtest/gtest.h>

namespace sluice::transport {
namespace {

http::request<http::string_body> upgrade_request() {
  http::request<http::string_body> req{http::verb::get, "/ws", 11};
  req.set(http::field::host, "example.com");
  req.set(http::field::connection, "keep-alive, Upgrade");
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  req.set(http::field::sec_websocket_version, "13");
  return req;
}

TEST(Handshake, TheAcceptKeyIsTheRfcExample) {
  // RFC 6455 section 1.3.
  EXPECT_EQ(sec_websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Handshake, AValidRequestIsLetThrough) {
  EXPECT_FALSE(refuse_handshake(upgrade_request()).has_value());
}

TEST(Handshake, EachMissingOrWrongPartIsRefusedWith400AndAJsonBody) {
  auto without = [](http::field f) {
    auto req = upgrade_request();
    req.erase(f);
    return req;
  };
  auto post = upgrade_request();
  post.method(http::verb::post);
  auto http10 = upgrade_request();
  http10.version(10);
  auto long_key = upgrade_request();
  long_key.set(http::field::sec_websocket_key, std::string(25, 'k'));
  for (const auto& req : {without(http::field::host), without(http::field::connection),
                          without(http::field::upgrade), without(http::field::sec_websocket_key),
                          without(http::field::sec_websocket_version), post, http10, long_key}) {
    auto refused = refuse_handshake(req);
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->status, 400u);
    EXPECT_NE(refused->body.find(R"("error":"bad_request")"), std::string::npos) << refused->body;
  }
}

TEST(Handshake, AnotherVersionIsAnswered426NamingVersion13) {
  auto req = upgrade_request();
  req.set(http::field::sec_websocket_version, "8");
  auto refused = refuse_handshake(req);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 426u);
  ASSERT_EQ(refused->headers.size(), 1u);
  EXPECT_EQ(refused->headers[0],
            (std::pair<std::string, std::string>{"Sec-WebSocket-Version", "13"}));
}

TEST(Handshake, TheAnswerSwitchesProtocolsAndEchoesTheSubprotocol) {
  auto answer = accept_response("dGhlIHNhbXBsZSBub25jZQ==", "sluice.v1");
  EXPECT_EQ(answer.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u);
  EXPECT_NE(answer.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
            std::string::npos);
  EXPECT_NE(answer.find("Sec-WebSocket-Protocol: sluice.v1\r\n"), std::string::npos);
  EXPECT_TRUE(answer.ends_with("\r\n\r\n"));
  EXPECT_EQ(accept_response("k", "").find("Sec-WebSocket-Protocol"), std::string::npos);
}

}  // namespace
}  // namespace sluice::transport
