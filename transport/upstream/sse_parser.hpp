#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice::transport {

// Splits a Server-Sent Events stream into the data of its events. Fed bytes
// in any pieces; `data:` lines of one event are joined with '\n'; comments
// and other fields are skipped.
class sse_parser {
 public:
  explicit sse_parser(std::size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}
  // Appends bytes; false when an event grew beyond max_event_bytes.
  bool feed(std::string_view bytes);
  // The next complete event's data, if any.
  bool next(std::string& data);

 private:
  std::size_t max_event_bytes_;
  std::string buffer_;
};

}  // namespace sluice::transport
