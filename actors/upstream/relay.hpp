#pragma once

#include <string>
#include <string_view>

// How Sluice relays a JSON message from an upstream (a process's json_lines
// output, a WebSocket upstream's messages): the object travels untouched in
// `data`; its own `type` decides the frame.
namespace sluice::actors {

struct relayed_message {
  enum class kind { progress, token, final, error, invalid };
  kind type = kind::invalid;
  std::string data;  // the object, minified
  std::string name;  // the upstream's own name for it: its type field; empty without one

  // What a client filters on (`kinds`): the upstream's name, else the frame's type.
  std::string_view kind_name() const {
    if (!name.empty()) return name;
    return type == kind::token ? "token" : "progress";
  }
};

// The field `type_field` ("type" unless configured) with "token", "final" or
// "error" maps to those kinds; any other object is progress; anything that is
// not a JSON object is invalid.
relayed_message classify_upstream_json(std::string_view text, std::string_view type_field = "type");

}  // namespace sluice::actors
