#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::config {

// What Sluice sends a backend (an HTTP body, path or header value, a
// WebSocket message), with the request and who is asking filled in
// (docs/protocol.md, "Who is asking"): {{payload}}, {{text}}, {{sub}},
// {{client_id}}, {{request_id}}, {{route}}, {{roles}}, {{claims.NAME}} and
// {{claims.NAME|default}}. Parsed when the config loads; rendered per request.
class request_template {
 public:
  // Where the text goes, which decides how a value is written there.
  enum class escape {
    json,    // values as JSON: strings quoted, {{payload}} as is, a missing sub or client id null
    header,  // values as text, control characters (CR, LF) percent-encoded
    url,     // values percent-encoded but for letters, digits and -._~
  };

  struct values {
    std::string_view payload;  // JSON
    std::string_view sub;      // empty: none
    std::string_view client_id;
    std::string_view request_id;
    std::string_view route;
    const std::vector<std::string>* roles = nullptr;
    const std::vector<std::pair<std::string, std::string>>* claims = nullptr;
  };

  request_template() = default;
  // `problem` says why `text` is no template (an unknown or unclosed field); empty when it is.
  static request_template parse(std::string text, std::string& problem);

  // The text of a payload as {{text}} fills it in: a JSON string, or an
  // object's string field `text`; nothing otherwise.
  static std::optional<std::string> payload_text(std::string_view payload_json);

  const std::string& text() const { return text_; }
  // Whether it names who is asking (anything but payload and text).
  bool uses_caller() const;
  // The text filled in; nothing when it names a claim the caller does not
  // have and gives no default (`missing` then names the claim).
  std::optional<std::string> render(const values& v, escape how, std::string& missing) const;

 private:
  enum class field { payload, text, sub, client_id, request_id, route, roles, claim };
  struct part {
    std::string literal;  // before the field
    std::optional<field> f;
    std::string claim;
    std::optional<std::string> fallback;  // {{claims.NAME|fallback}}
  };
  std::string text_;
  std::vector<part> parts_;
};

// "{{payload}}": what a WebSocket message or an HTTP body is unless configured.
request_template default_body();

// A header whose value is a template.
using templated_headers = std::vector<std::pair<std::string, request_template>>;

}  // namespace sluice::config
