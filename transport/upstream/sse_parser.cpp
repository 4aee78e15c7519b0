#include "transport/upstream/sse_parser.hpp"

namespace sluice::transport {

bool sse_parser::feed(std::string_view bytes) {
  buffer_.append(bytes);
  return buffer_.size() <= max_event_bytes_ || buffer_.find("\n\n") != std::string::npos ||
         buffer_.find("\r\n\r\n") != std::string::npos;
}

bool sse_parser::next(std::string& data) {
  // Events end with a blank line; accept \n and \r\n line endings.
  std::size_t end = std::string::npos, skip = 0;
  for (std::string_view sep : {"\r\n\r\n", "\n\n"}) {
    auto at = buffer_.find(sep);
    if (at != std::string::npos && at < end) {
      end = at;
      skip = sep.size();
    }
  }
  if (end == std::string::npos) return false;
  std::string_view event{buffer_.data(), end};
  data.clear();
  bool has_data = false;
  while (!event.empty()) {
    auto nl = event.find('\n');
    auto line = event.substr(0, nl);
    event.remove_prefix(nl == std::string_view::npos ? event.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.starts_with("data:")) continue;  // comments, event:, id:, retry:
    line.remove_prefix(5);
    if (line.starts_with(' ')) line.remove_prefix(1);
    if (has_data) data += '\n';
    data.append(line);
    has_data = true;
  }
  buffer_.erase(0, end + skip);
  return has_data || next(data);  // an event without data carries nothing: skip it
}

}  // namespace sluice::transport
