#include "transport/websocket/write_batch.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace sluice::transport {
namespace {

std::vector<shared_frame> frames_of(const std::vector<std::size_t>& sizes) {
  std::vector<shared_frame> frames;
  char fill = 'a';
  for (auto size : sizes) {
    frames.push_back(std::make_shared<const std::string>(size, fill));
    fill = fill == 'z' ? 'a' : static_cast<char>(fill + 1);
  }
  return frames;
}

std::string wire_of(const write_batch& batch) {
  std::string wire;
  for (const auto& b : batch.buffers()) wire.append(static_cast<const char*>(b.data()), b.size());
  return wire;
}

// Decodes unmasked final text frames (RFC 6455 5.2), independently of frame_header.
std::vector<std::string> decode(const std::string& wire) {
  std::vector<std::string> payloads;
  std::size_t at = 0;
  while (at < wire.size()) {
    EXPECT_EQ(static_cast<unsigned char>(wire[at]), 0x81);
    std::uint64_t len = static_cast<unsigned char>(wire[at + 1]);
    at += 2;
    std::size_t extra = len == 126 ? 2 : len == 127 ? 8 : 0;
    if (extra > 0) len = 0;
    for (std::size_t i = 0; i < extra; ++i)
      len = (len << 8) | static_cast<unsigned char>(wire[at++]);
    payloads.push_back(wire.substr(at, len));
    at += len;
  }
  return payloads;
}

std::size_t large_frames(const std::vector<shared_frame>& frames) {
  std::size_t n = 0;
  for (const auto& f : frames) n += f->size() > write_batch::max_copied_frame ? 1 : 0;
  return n;
}

TEST(WriteBatch, ManySmallFramesAreOneBuffer) {
  auto frames = frames_of(std::vector<std::size_t>(256, 100));
  write_batch batch;
  batch.assemble(frames);
  ASSERT_EQ(batch.buffers().size(), 1u);
  auto payloads = decode(wire_of(batch));
  ASSERT_EQ(payloads.size(), 256u);
  for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(payloads[i], *frames[i]);
}

TEST(WriteBatch, LargePayloadsAreReferencedNotCopied) {
  auto frames = frames_of({10, 5000, 20, 70000});
  write_batch batch;
  batch.assemble(frames);
  // block (header 10, payload, header 5000) | 5000 | block (header 20, payload, header 70000) |
  // 70000
  ASSERT_EQ(batch.buffers().size(), 4u);
  EXPECT_EQ(batch.buffers()[1].data(), frames[1]->data());
  EXPECT_EQ(batch.buffers()[3].data(), frames[3]->data());
  EXPECT_EQ(decode(wire_of(batch)),
            (std::vector<std::string>{*frames[0], *frames[1], *frames[2], *frames[3]}));
}

TEST(WriteBatch, EmptyAndBoundarySizes) {
  auto frames = frames_of({0, 125, 126, write_batch::max_copied_frame,
                           write_batch::max_copied_frame + 1, 65535, 65536});
  write_batch batch;
  batch.assemble(frames);
  auto payloads = decode(wire_of(batch));
  ASSERT_EQ(payloads.size(), frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(payloads[i], *frames[i]);
}

// Property: for random batches, reused as a connection reuses it, the wire
// is exactly the frames in order, and a batch takes at most two buffers per
// large frame and one more.
TEST(WriteBatch, RandomBatchesDecodeToTheirFramesInOrder) {
  std::mt19937 rng{20261127};
  std::uniform_int_distribution<int> count{1, 300};
  std::uniform_int_distribution<int> kind{0, 9};
  std::uniform_int_distribution<std::size_t> small{0, 200};
  std::uniform_int_distribution<std::size_t> large{write_batch::max_copied_frame - 2, 70000};
  write_batch batch;
  for (int round = 0; round < 300; ++round) {
    std::vector<std::size_t> sizes(static_cast<std::size_t>(count(rng)));
    for (auto& s : sizes) s = kind(rng) == 0 ? large(rng) : small(rng);
    auto frames = frames_of(sizes);
    batch.assemble(frames);
    ASSERT_LE(batch.buffers().size(), 2 * large_frames(frames) + 1) << "round " << round;
    auto payloads = decode(wire_of(batch));
    ASSERT_EQ(payloads.size(), frames.size()) << "round " << round;
    for (std::size_t i = 0; i < frames.size(); ++i)
      ASSERT_EQ(payloads[i], *frames[i]) << "round " << round << ", frame " << i;
    if (round % 7 == 0) batch.trim();
  }
}

}  // namespace
}  // namespace sluice::transport
