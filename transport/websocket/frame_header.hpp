#pragma once

#include <cstddef>
#include <cstdint>

namespace sluice::transport {

// RFC 6455 section 5.2: the header of one unmasked, unfragmented text frame
// (the server never masks). Writes at most max_frame_header bytes to `out`
// and returns how many.
constexpr std::size_t max_frame_header = 10;

inline std::size_t text_frame_header(unsigned char* out, std::uint64_t payload_bytes) {
  out[0] = 0x81;  // FIN, opcode 1 (text)
  if (payload_bytes < 126) {
    out[1] = static_cast<unsigned char>(payload_bytes);
    return 2;
  }
  if (payload_bytes <= 0xffff) {
    out[1] = 126;
    out[2] = static_cast<unsigned char>(payload_bytes >> 8);
    out[3] = static_cast<unsigned char>(payload_bytes);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i)
    out[2 + i] = static_cast<unsigned char>(payload_bytes >> (56 - 8 * i));
  return 10;
}

}  // namespace sluice::transport
