#include "transport/connect_params.hpp"

#include <charconv>

#include "core/topic_name.hpp"

namespace sluice::transport {
namespace {

bool read_number(std::string_view text, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

}  // namespace

std::optional<connect_params> parse_connect_params(std::string_view query, std::string& error) {
  connect_params params;
  bool has_since = false;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = pair.find('=');
    auto key = pair.substr(0, eq);
    auto value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    std::uint64_t n = 0;
    if (key == "client_id") {
      if (value.size() > max_client_id_bytes || !topic_name::valid(value)) {
        error = "client_id must be 1-64 characters of letters, digits, '.', '_', '-', ':'";
        return std::nullopt;
      }
      params.client_id = value;
    } else if (key == "since") {
      if (!read_number(value, n) || n > std::uint64_t{INT64_MAX}) {
        error = "since must be an offset: a whole number, 0 or more";
        return std::nullopt;
      }
      params.since = static_cast<std::int64_t>(n);
      has_since = true;
    } else if (key == "epoch") {
      if (!read_number(value, n) || n == 0) {
        error = "epoch must be the positive number the inbox reported";
        return std::nullopt;
      }
      params.epoch = n;
    }
  }
  if (has_since && params.client_id.empty()) {
    error = "since resumes an inbox: give the client_id too";
    return std::nullopt;
  }
  return params;
}

}  // namespace sluice::transport
