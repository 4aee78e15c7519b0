#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sluice::config {

// A topic name with fields of the request filled in, e.g. "runs.{request_id}"
// (a route's publish_to). Fields: {request_id} (the gateway's id for the
// request, as in `accepted`), {client_id}, {sub}, {route}.
struct topic_template {
  std::string text;  // empty: none

  struct fields {
    std::string_view request_id;
    std::string_view client_id;  // empty when the client named none
    std::string_view sub;        // empty for an anonymous client
    std::string_view route;
  };

  // Why `text` is not a template a config may hold (an unknown or unclosed
  // field, or not a topic name once filled in); empty when it is.
  static std::string problem(std::string_view text);

  // The topic's name, or nullopt when a field it uses is empty (`missing`
  // then names it) or the name is not a valid topic name.
  std::optional<std::string> render(const fields& f, std::string& missing) const;
};

}  // namespace sluice::config
