// libFuzzer target: the client and worker frame decoders must turn any bytes
// into a message (an `invalid` one at worst), never crash or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "transport/protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  sluice::transport::decode_client_frame(text);
  sluice::transport::decode_worker_frame(text);
  return 0;
}
