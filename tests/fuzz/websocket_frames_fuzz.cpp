// libFuzzer target: the WebSocket frame reader, fed the input whole and again
// in cuts chosen by its first byte, must never crash, must give the same
// events both ways, must keep no more than a partial header unused, and must
// hold to its message size limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "transport/websocket/frame_reader.hpp"

namespace {

using sluice::transport::frame_event;
using sluice::transport::frame_reader;

constexpr std::size_t limit = 1024;

struct seen {
  frame_event event;
  std::string payload;
  bool operator==(const seen&) const = default;
};

std::vector<seen> read_all(std::string_view bytes, std::size_t cut) {
  frame_reader reader{limit};
  boost::beast::flat_buffer buffer;
  std::vector<seen> events;
  std::string pending;
  for (std::size_t at = 0; at < bytes.size(); at += cut) {
    pending.append(bytes.substr(at, cut));
    while (true) {
      std::string_view in{pending};
      auto event = reader.read(in, buffer);
      pending.erase(0, pending.size() - in.size());
      if (event == frame_event::need_more) {
        if (pending.size() >= 14) std::abort();  // only a partial header may wait
        break;
      }
      if (buffer.size() > limit) std::abort();
      auto data = buffer.cdata();
      std::string payload = event == frame_event::message
                                ? std::string{static_cast<const char*>(data.data()), data.size()}
                                : std::string{reader.control_payload()};
      buffer.consume(buffer.size());
      events.push_back({event, payload});
      if (event == frame_event::close || event == frame_event::failed) return events;
    }
  }
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view bytes{reinterpret_cast<const char*>(data) + 1, size - 1};
  auto whole = read_all(bytes, bytes.size() + 1);
  auto in_cuts = read_all(bytes, 1 + data[0] % 16);
  if (whole != in_cuts) std::abort();
  return 0;
}
