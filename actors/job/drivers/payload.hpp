#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sluice::actors {

// The text a request carries: its payload is either a JSON string or an
// object with a string field `text`. Nothing when it is neither.
std::optional<std::string> payload_text(std::string_view payload_json);

// What is sent upstream (an SSE request body, a WebSocket message): the
// template with {{payload}} replaced by the payload (JSON) and {{text}} by
// the payload's text as a JSON string (null without one).
std::string render_body(std::string_view body_template, std::string_view payload_json);

}  // namespace sluice::actors
