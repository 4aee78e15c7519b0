#include "transport/websocket/frame_reader.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "transport/websocket/frame_header.hpp"

namespace sluice::transport {
namespace {

namespace ws = boost::beast::websocket;

// A client's frame: masked with `key` (as a client must) unless `masked` is false.
std::string client_frame(unsigned char opcode, std::string_view payload, bool fin = true,
                         bool masked = true, std::uint32_t key = 0x1a2b3c4d) {
  unsigned char header[max_frame_header + 4];
  auto n = frame_header(header, payload.size(), opcode, masked);
  if (!fin) header[0] &= 0x7F;
  std::string out(reinterpret_cast<char*>(header), n);
  if (!masked) return out + std::string{payload};
  unsigned char k[4] = {static_cast<unsigned char>(key >> 24),
                        static_cast<unsigned char>(key >> 16), static_cast<unsigned char>(key >> 8),
                        static_cast<unsigned char>(key)};
  out.append(reinterpret_cast<char*>(k), 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    out.push_back(static_cast<char>(payload[i] ^ k[i % 4]));
  return out;
}

std::string text_of(const boost::beast::flat_buffer& buffer) {
  auto data = buffer.cdata();
  return {static_cast<const char*>(data.data()), data.size()};
}

struct reading {
  frame_reader reader{1024};
  boost::beast::flat_buffer buffer;

  frame_event next(std::string_view& in) { return reader.read(in, buffer); }
};

TEST(FrameReader, AMaskedTextFrameIsOneMessageUnmasked) {
  reading r;
  auto wire = client_frame(opcode::text, R"({"type":"ping"})");
  std::string_view in{wire};
  ASSERT_EQ(r.next(in), frame_event::message);
  EXPECT_TRUE(in.empty());
  EXPECT_TRUE(r.reader.text());
  EXPECT_EQ(text_of(r.buffer), R"({"type":"ping"})");
}

TEST(FrameReader, APartialHeaderIsLeftUnusedUntilItIsWhole) {
  reading r;
  auto wire =
      client_frame(opcode::binary, std::string(300, 'b'));  // a 16-bit length: 8-byte header
  for (std::size_t cut = 0; cut < 8; ++cut) {
    std::string_view in{wire.data(), cut};
    EXPECT_EQ(r.next(in), frame_event::need_more);
    EXPECT_EQ(in.size(), cut) << "a header is used whole or not at all";
  }
  std::string_view in{wire};
  ASSERT_EQ(r.next(in), frame_event::message);
  EXPECT_FALSE(r.reader.text());
  EXPECT_EQ(text_of(r.buffer), std::string(300, 'b'));
}

TEST(FrameReader, AControlFrameBetweenFragmentsComesOutOnItsOwn) {
  reading r;
  auto wire = client_frame(opcode::text, "hel", false) + client_frame(opcode::ping, "p!") +
              client_frame(opcode::continuation, "lo", false) + client_frame(opcode::pong, "") +
              client_frame(opcode::continuation, "!");
  std::string_view in{wire};
  ASSERT_EQ(r.next(in), frame_event::ping);
  EXPECT_EQ(r.reader.control_payload(), "p!");
  EXPECT_TRUE(r.reader.mid_message());
  ASSERT_EQ(r.next(in), frame_event::pong);
  ASSERT_EQ(r.next(in), frame_event::message);
  EXPECT_EQ(text_of(r.buffer), "hello!");
  EXPECT_FALSE(r.reader.mid_message());
}

TEST(FrameReader, UTF8CutBetweenFragmentsIsValid) {
  reading r;
  std::string e_acute = "\xc3\xa9";
  auto wire = client_frame(opcode::text, "caf" + e_acute.substr(0, 1), false) +
              client_frame(opcode::continuation, e_acute.substr(1));
  std::string_view in{wire};
  ASSERT_EQ(r.next(in), frame_event::message);
  EXPECT_EQ(text_of(r.buffer), "caf" + e_acute);
}

TEST(FrameReader, ACloseCarriesItsCodeAndReasonAndEndsReading) {
  reading r;
  auto wire = client_frame(opcode::close, std::string("\x03\xe8", 2) + "bye") +
              client_frame(opcode::text, "x");
  std::string_view in{wire};
  ASSERT_EQ(r.next(in), frame_event::close);
  EXPECT_EQ(r.reader.close_code(), 1000);
  EXPECT_EQ(r.reader.close_reason(), "bye");
  EXPECT_EQ(r.next(in), frame_event::close) << "nothing is read after a close";
}

TEST(FrameReader, ACloseWithACodeAndNoReasonIsValid) {
  reading r;
  auto wire = client_frame(opcode::close, std::string("\x03\xe8", 2));
  std::string_view in{wire};
  ASSERT_EQ(r.next(in), frame_event::close);
  EXPECT_EQ(r.reader.close_code(), 1000);
  EXPECT_EQ(r.reader.close_reason(), "");
}

TEST(FrameReader, AnEmptyCloseHasNoCode) {
  reading r;
  auto wire = client_frame(opcode::close, "");
  std::string_view in{wire};
  ASSERT_EQ(r.next(in), frame_event::close);
  EXPECT_EQ(r.reader.close_code(), 0);
}

TEST(FrameReader, TheLimitCountsOneMessageNotTheOnesBeforeIt) {
  reading r;  // limit 1024
  auto wire = client_frame(opcode::text, std::string(1000, 'a')) +
              client_frame(opcode::text, std::string(1000, 'b'));
  std::string_view in{wire};
  ASSERT_EQ(r.next(in), frame_event::message);
  r.buffer.consume(r.buffer.size());
  ASSERT_EQ(r.next(in), frame_event::message);
  EXPECT_EQ(text_of(r.buffer), std::string(1000, 'b'));
}

struct refusal {
  const char* name;
  std::string wire;
  ws::error error;
  std::uint16_t close_code;
};

TEST(FrameReader, EveryBreachOfTheRfcIsRefusedWithItsCloseCode) {
  std::string too_long_length =
      std::string("\x81\xff\x80\x00\x00\x00\x00\x00\x00\x00", 10) + "abcd";
  std::vector<refusal> cases = {
      {"unmasked", client_frame(opcode::text, "{}", true, false), ws::error::bad_unmasked_frame,
       1002},
      {"reserved bits",
       "\xc1\x80"
       "abcd",
       ws::error::bad_reserved_bits, 1002},
      {"reserved data opcode", client_frame(0x3, "x"), ws::error::bad_opcode, 1002},
      {"reserved control opcode", client_frame(0xB, "x"), ws::error::bad_opcode, 1002},
      {"continuation first", client_frame(opcode::continuation, "x"), ws::error::bad_continuation,
       1002},
      {"message inside a message",
       client_frame(opcode::text, "a", false) + client_frame(opcode::text, "b"),
       ws::error::bad_data_frame, 1002},
      {"fragmented ping", client_frame(opcode::ping, "x", false), ws::error::bad_control_fragment,
       1002},
      {"ping over 125", client_frame(opcode::ping, std::string(126, 'p')),
       ws::error::bad_control_size, 1002},
      {"non-minimal 16-bit length", std::string("\x81\xfe\x00\x05", 4) + "abcd" + "hello",
       ws::error::bad_size, 1002},
      {"non-minimal 64-bit length",
       std::string("\x81\xff\x00\x00\x00\x00\x00\x00\x01\x00", 10) + "abcd", ws::error::bad_size,
       1002},
      {"over the limit", client_frame(opcode::binary, std::string(1025, 'x')),
       ws::error::message_too_big, 1009},
      {"over the limit in fragments",
       client_frame(opcode::text, std::string(600, 'x'), false) +
           client_frame(opcode::continuation, std::string(600, 'x')),
       ws::error::message_too_big, 1009},
      {"top bit of a 64-bit length", too_long_length, ws::error::message_too_big, 1009},
      {"invalid UTF-8", client_frame(opcode::text, "a\xff"), ws::error::bad_frame_payload, 1007},
      {"UTF-8 cut at the end", client_frame(opcode::text, "a\xc3"), ws::error::bad_frame_payload,
       1007},
      {"one-byte close", client_frame(opcode::close, "\x03"), ws::error::bad_close_size, 1002},
      {"close code 1005", client_frame(opcode::close, std::string("\x03\xed", 2)),
       ws::error::bad_close_code, 1002},
      {"close code 999", client_frame(opcode::close, std::string("\x03\xe7", 2)),
       ws::error::bad_close_code, 1002},
      {"close reason not UTF-8", client_frame(opcode::close, std::string("\x03\xe8\xc3", 3)),
       ws::error::bad_close_payload, 1002},
  };
  for (const auto& c : cases) {
    reading r;
    std::string_view in{c.wire};
    ASSERT_EQ(r.next(in), frame_event::failed) << c.name;
    EXPECT_EQ(r.reader.error(), c.error) << c.name;
    EXPECT_EQ(r.reader.error_close_code(), c.close_code) << c.name;
    EXPECT_EQ(r.next(in), frame_event::failed) << c.name << ": nothing is read after a failure";
  }
}

// Property: whatever the messages, their fragmentation, the control frames
// between fragments and the cuts the bytes arrive in, the reader gives back
// exactly the messages and control frames sent, in order.
struct sent {
  frame_event kind;
  bool text = false;
  std::string payload;
  bool operator==(const sent&) const = default;
};

class FrameReaderRound : public ::testing::TestWithParam<unsigned> {};

TEST_P(FrameReaderRound, EveryMessageAndControlFrameComesOutOnceInOrderWhateverTheCuts) {
  std::mt19937 rng{GetParam()};
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>{0, n}(rng); };
  const std::size_t sizes[] = {0, 1, 2, 125, 126, 127, 300, 65535, 65536, 70000};
  std::string wire;
  std::vector<sent> expected;
  for (int m = 0; m < 60; ++m) {
    bool text = pick(1) == 0;
    std::size_t size = pick(3) == 0 ? sizes[pick(9)] : pick(200);
    std::string payload;
    // Text mixes ASCII with two-, three- and four-byte UTF-8, so that cuts fall inside them.
    const char* const letters[] = {"a", "z", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
    while (payload.size() < size) {
      if (text)
        payload += letters[pick(4)];
      else
        payload.push_back(static_cast<char>(pick(255)));
    }
    std::size_t fragments = 1 + pick(3);
    std::size_t at = 0;
    for (std::size_t f = 0; f < fragments; ++f) {
      bool last = f + 1 == fragments;
      std::size_t n = last ? payload.size() - at : pick(payload.size() - at);
      unsigned char op = f == 0 ? (text ? opcode::text : opcode::binary) : opcode::continuation;
      wire += client_frame(op, std::string_view{payload}.substr(at, n), last, true,
                           static_cast<std::uint32_t>(rng()));
      at += n;
      if (!last && pick(2) == 0) {  // a ping between this fragment and the next
        std::string ping(pick(125), 'p');
        wire += client_frame(opcode::ping, ping, true, true, static_cast<std::uint32_t>(rng()));
        expected.push_back({frame_event::ping, false, ping});
      }
    }
    expected.push_back({frame_event::message, text, payload});
  }

  frame_reader reader{70003};  // the largest message: the limit is per message
  boost::beast::flat_buffer buffer;
  std::vector<sent> got;
  std::string pending;  // as a connection keeps what it read and has not used
  for (std::size_t at = 0; at < wire.size();) {
    std::size_t cut = pick(4) == 0 ? 1 + pick(3) : 1 + pick(5000);
    pending.append(wire, at, cut);
    at += cut;
    while (true) {
      std::string_view in{pending};
      auto event = reader.read(in, buffer);
      pending.erase(0, pending.size() - in.size());
      ASSERT_NE(event, frame_event::failed) << reader.error().message();
      if (event == frame_event::need_more) {
        ASSERT_LT(pending.size(), 14u) << "only a partial header is ever left unused";
        break;
      }
      if (event == frame_event::message) {
        got.push_back({event, reader.text(), text_of(buffer)});
        buffer.consume(buffer.size());
      } else {
        got.push_back({event, false, std::string{reader.control_payload()}});
      }
    }
  }
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_TRUE(got[i] == expected[i]) << "event " << i;
}

INSTANTIATE_TEST_SUITE_P(Seeds, FrameReaderRound, ::testing::Range(1u, 9u));

}  // namespace
}  // namespace sluice::transport
