#pragma once

#include <gtest/gtest.h>

#include <string_view>
#include <variant>

namespace sluice::protocol {

// The frame `text` decoded to, as `Frame`; fails the test when it decoded as
// another type (and returns a default `Frame` then).
template <class Frame, class Decoded>
Frame decoded_as(const Decoded& decoded, std::string_view text) {
  EXPECT_TRUE(std::holds_alternative<Frame>(decoded)) << text << " decoded as #" << decoded.index();
  return std::holds_alternative<Frame>(decoded) ? std::get<Frame>(decoded) : Frame{};
}

}  // namespace sluice::protocol
