#include "transport/nats/stream_names.hpp"

#include <cctype>

namespace sluice::transport {

std::string escape_name(std::string_view topic) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : topic) {
    if (std::isalnum(c) || c == '-') {
      out += static_cast<char>(c);
    } else {
      out += '_';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

stream_names names_for(std::string_view prefix, std::string_view topic) {
  std::string lower;
  for (char c : prefix) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto escaped = escape_name(topic);
  return {std::string{prefix} + "_" + escaped, lower + "." + escaped};
}

}  // namespace sluice::transport
