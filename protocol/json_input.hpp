#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "protocol/client_frames.hpp"

// What the client and worker decoders share: one reused simdjson parser per
// thread, the object check and the id rule. Private to the protocol library.
namespace sluice::protocol::json_input {

namespace dom = simdjson::dom;

// Parses `text` as one JSON object into `root`/`obj`; on failure returns
// false and sets `error` to say why (invalid_json or invalid_frame).
bool parse_object(std::string_view text, dom::element& root, dom::object& obj, invalid& error);

// The id as JSON text if `el` is a non-empty string of bounded size or an integer.
bool read_id(dom::element el, std::string& out);

invalid refuse(ec code, std::string message, std::string id = {});

}  // namespace sluice::protocol::json_input
