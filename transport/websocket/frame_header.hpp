#pragma once

#include <cstddef>
#include <cstdint>

namespace sluice::transport {

// RFC 6455 section 5.2: the header of one final frame with opcode `opcode`,
// up to its payload length; with `masked` the mask bit is set and the 4-byte
// key, which the caller writes, follows. Writes at most max_frame_header
// bytes to `out` and returns how many.
constexpr std::size_t max_frame_header = 10;

// RFC 6455 section 5.2's opcodes.
namespace opcode {
constexpr unsigned char continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9,
                        pong = 0xA;
}  // namespace opcode

inline std::size_t frame_header(unsigned char* out, std::uint64_t payload_bytes,
                                unsigned char opcode, bool masked) {
  out[0] = static_cast<unsigned char>(0x80 | opcode);  // FIN
  unsigned char mask_bit = masked ? 0x80 : 0;
  if (payload_bytes < 126) {
    out[1] = static_cast<unsigned char>(mask_bit | payload_bytes);
    return 2;
  }
  if (payload_bytes <= 0xffff) {
    out[1] = mask_bit | 126;
    out[2] = static_cast<unsigned char>(payload_bytes >> 8);
    out[3] = static_cast<unsigned char>(payload_bytes);
    return 4;
  }
  out[1] = mask_bit | 127;
  for (int i = 0; i < 8; ++i)
    out[2 + i] = static_cast<unsigned char>(payload_bytes >> (56 - 8 * i));
  return 10;
}

// An unmasked text frame's header, as the server sends them.
inline std::size_t text_frame_header(unsigned char* out, std::uint64_t payload_bytes) {
  return frame_header(out, payload_bytes, 0x1, false);
}

}  // namespace sluice::transport
