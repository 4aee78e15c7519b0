#include "transport/websocket/connect_params.hpp"

#include "core/topic_name.hpp"
#include "transport/http/query_string.hpp"

namespace sluice::transport {

std::optional<connect_params> parse_connect_params(std::string_view query, std::string& error) {
  connect_params params;
  if (auto id = query_value(query, "client_id")) {
    // ':' is reserved: it separates a principal's tag from its client ids.
    if (id->size() > max_client_id_bytes || !topic_name::valid(*id) ||
        id->find(':') != std::string_view::npos) {
      error = "client_id must be 1-64 characters of letters, digits, '.', '_', '-'";
      return std::nullopt;
    }
    params.client_id = *id;
  }
  std::uint64_t n = 0;
  if (auto since = query_value(query, "since")) {
    if (!parse_whole_number(*since, n) || n > std::uint64_t{INT64_MAX}) {
      error = "since must be an offset: a whole number, 0 or more";
      return std::nullopt;
    }
    if (params.client_id.empty()) {
      error = "since resumes an inbox: give the client_id too";
      return std::nullopt;
    }
    params.since = static_cast<std::int64_t>(n);
  }
  if (auto epoch = query_value(query, "epoch")) {
    if (!parse_whole_number(*epoch, n) || n == 0) {
      error = "epoch must be the positive number the inbox reported";
      return std::nullopt;
    }
    params.epoch = n;
  }
  if (auto resume = query_value(query, "resume")) {
    bool hex = resume->size() == resume_credential_digits &&
               resume->find_first_not_of("0123456789abcdef") == std::string_view::npos;
    if (!hex || params.client_id.empty()) {
      error = "resume must be the 32-digit credential a client id was given, with its client_id";
      return std::nullopt;
    }
    params.resume = *resume;
  }
  return params;
}

}  // namespace sluice::transport
