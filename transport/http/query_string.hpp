#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

// Reading the query of a request target (after '?'): values are taken as
// they are, without percent-decoding (every value Sluice reads is a name or
// a number from a charset that needs none).
namespace sluice::transport {

// The value of the first `key` in `query`, if present ("" for `key` alone).
inline std::optional<std::string_view> query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == key)
      return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
  }
  return std::nullopt;
}

// True when all of `text` is a whole number that fits `out`.
inline bool parse_whole_number(std::string_view text, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

}  // namespace sluice::transport
