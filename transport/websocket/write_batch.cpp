#include "transport/websocket/write_batch.hpp"

#include "transport/websocket/frame_header.hpp"

namespace sluice::transport {

void write_batch::assemble(const std::vector<shared_frame>& frames) {
  std::size_t copied = 0;
  for (const auto& frame : frames)
    copied += max_frame_header + (frame->size() <= max_copied_frame ? frame->size() : 0);
  // Reserved whole first: the buffers point into the block as it grows.
  block_.clear();
  block_.reserve(copied);
  buffers_.clear();
  std::size_t segment = 0;  // where the part of the block not yet in a buffer starts
  for (const auto& frame : frames) {
    unsigned char header[max_frame_header];
    block_.append(reinterpret_cast<const char*>(header), text_frame_header(header, frame->size()));
    if (frame->size() <= max_copied_frame) {
      block_.append(*frame);
      continue;
    }
    buffers_.emplace_back(block_.data() + segment, block_.size() - segment);
    buffers_.emplace_back(frame->data(), frame->size());
    segment = block_.size();
  }
  if (block_.size() > segment)
    buffers_.emplace_back(block_.data() + segment, block_.size() - segment);
}

void write_batch::trim() {
  std::vector<boost::asio::const_buffer>{}.swap(buffers_);
  std::string{}.swap(block_);
}

}  // namespace sluice::transport
