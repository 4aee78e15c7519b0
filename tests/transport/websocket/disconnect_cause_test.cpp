#include "transport/websocket/disconnect_cause.hpp"

#include <gtest/gtest.h>

#include <boost/asio/error.hpp>

namespace sluice::transport {
namespace {

TEST(DisconnectCause, ACloseHandshakeIsClosed) {
  EXPECT_EQ(disconnect_cause(websocket::error::closed), "closed");
}

TEST(DisconnectCause, ATimeoutIsAnIdleTimeout) {
  EXPECT_EQ(disconnect_cause(beast::error::timeout), "idle_timeout");
}

TEST(DisconnectCause, AnOversizedMessageIsTooBig) {
  EXPECT_EQ(disconnect_cause(websocket::error::message_too_big), "too_big");
}

TEST(DisconnectCause, EveryRfcBreachIsAProtocolError) {
  for (auto e : {websocket::error::bad_opcode, websocket::error::bad_data_frame,
                 websocket::error::bad_continuation, websocket::error::bad_reserved_bits,
                 websocket::error::bad_control_fragment, websocket::error::bad_control_size,
                 websocket::error::bad_unmasked_frame, websocket::error::bad_size,
                 websocket::error::bad_frame_payload, websocket::error::bad_close_code,
                 websocket::error::bad_close_size, websocket::error::bad_close_payload})
    EXPECT_EQ(disconnect_cause(e), "protocol_error") << beast::error_code{e}.message();
}

TEST(DisconnectCause, ASocketEndingWithoutACloseFrameIsAConnectionLost) {
  for (beast::error_code ec : {beast::error_code{boost::asio::error::eof},
                               beast::error_code{boost::asio::error::connection_reset},
                               beast::error_code{boost::asio::error::operation_aborted}})
    EXPECT_EQ(disconnect_cause(ec), "connection_lost") << ec.message();
}

}  // namespace
}  // namespace sluice::transport
