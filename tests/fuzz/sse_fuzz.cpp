// libFuzzer target: the Server-Sent Events parser, fed in two chunks split at
// the first byte's value, must never crash and must keep its size bound.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "transport/upstream/sse_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view bytes{reinterpret_cast<const char*>(data) + 1, size - 1};
  auto split = std::min<std::size_t>(data[0], bytes.size());
  sluice::transport::sse_parser parser{256};
  std::string event;
  if (parser.feed(bytes.substr(0, split)))
    while (parser.next(event)) {
    }
  if (parser.feed(bytes.substr(split)))
    while (parser.next(event)) {
    }
  return 0;
}
