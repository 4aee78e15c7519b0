#include "transport/websocket/frame_header.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace sluice::transport {
namespace {

std::vector<unsigned> header_for(std::uint64_t bytes) {
  unsigned char out[max_frame_header] = {};
  auto n = text_frame_header(out, bytes);
  return {out, out + n};
}

TEST(FrameHeader, LengthEncodingsAtTheirBoundaries) {
  // RFC 6455 5.2: 7-bit length up to 125, then 126 + 16 bits, then 127 + 64 bits.
  EXPECT_EQ(header_for(0), (std::vector<unsigned>{0x81, 0}));
  EXPECT_EQ(header_for(125), (std::vector<unsigned>{0x81, 125}));
  EXPECT_EQ(header_for(126), (std::vector<unsigned>{0x81, 126, 0, 126}));
  EXPECT_EQ(header_for(65535), (std::vector<unsigned>{0x81, 126, 0xff, 0xff}));
  EXPECT_EQ(header_for(65536), (std::vector<unsigned>{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(header_for(0x0102030405060708ULL),
            (std::vector<unsigned>{0x81, 127, 1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(FrameHeader, AClientsMaskedBinaryFrameSetsTheMaskBit) {
  unsigned char out[max_frame_header] = {};
  ASSERT_EQ(frame_header(out, 5, 0x2, true), 2u);
  EXPECT_EQ((std::vector<unsigned>{out[0], out[1]}), (std::vector<unsigned>{0x82, 0x85}));
  ASSERT_EQ(frame_header(out, 300, 0x1, true), 4u);
  EXPECT_EQ((std::vector<unsigned>{out[0], out[1], out[2], out[3]}),
            (std::vector<unsigned>{0x81, 0x80 | 126, 1, 44}));
}

}  // namespace
}  // namespace sluice::transport
