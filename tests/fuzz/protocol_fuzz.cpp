// libFuzzer target: the client and worker frame decoders must turn any bytes
// into a frame (an `invalid` one at worst), never crash or read out of bounds,
// and an `invalid` frame always says why.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "protocol/client_frames.hpp"
#include "protocol/worker_frames.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice::protocol;
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto client = decode_client_frame(text);
  if (const auto* bad = std::get_if<invalid>(&client); bad && bad->message.empty())
    __builtin_trap();
  auto worker = decode_worker_frame(text);
  if (const auto* bad = std::get_if<invalid>(&worker); bad && bad->message.empty())
    __builtin_trap();
  return 0;
}
