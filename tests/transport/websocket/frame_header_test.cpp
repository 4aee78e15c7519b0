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

}  // namespace
}  // namespace sluice::transport
