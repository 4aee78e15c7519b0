#pragma once

#include <boost/asio/buffer.hpp>

#include <string>
#include <vector>

#include "protocol/shared_frame.hpp"

namespace sluice::transport {

using protocol::shared_frame;

// The bytes of one write of many server text frames, laid out as few
// buffers: every header, with the payloads of small frames copied next to
// it, in one block of its own, and large payloads referenced where they are.
// Asio hands at most 64 buffers to one system call, so a header and a buffer
// per frame would cost a system call per 32 frames.
class write_batch {
 public:
  // Payloads up to this size are copied; larger ones are referenced.
  static constexpr std::size_t max_copied_frame = 1024;

  // Lays out `frames`, which must stay alive (and unchanged) until the write completes.
  void assemble(const std::vector<shared_frame>& frames);
  const std::vector<boost::asio::const_buffer>& buffers() const { return buffers_; }
  // Gives back the block and the buffers once the queue is empty: a quiet
  // connection holds neither (a busy one allocates them once per write).
  void trim();

 private:
  std::string block_;
  std::vector<boost::asio::const_buffer> buffers_;
};

}  // namespace sluice::transport
