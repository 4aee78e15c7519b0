#include "protocol/json_input.hpp"

#include "protocol/limits.hpp"

namespace sluice::protocol::json_input {
namespace {

// One parser per I/O thread, reused for every frame; it limits nesting depth.
dom::parser& thread_parser() {
  thread_local dom::parser parser;
  thread_local bool configured = false;
  if (!configured) configured = parser.allocate(64 * 1024, max_json_depth) == simdjson::SUCCESS;
  return parser;
}

}  // namespace

invalid refuse(ec code, std::string message, std::string id) {
  return invalid{std::move(id), code, std::move(message)};
}

bool read_id(dom::element el, std::string& out) {
  if (el.is_string()) {
    auto s = std::string_view{el.get_string().value_unsafe()};
    if (s.empty() || s.size() > max_id_bytes) return false;
  } else if (!el.is_int64() && !el.is_uint64()) {
    return false;
  }
  out = simdjson::minify(el);
  return true;
}

bool parse_object(std::string_view text, dom::element& root, dom::object& obj, invalid& error) {
  auto& parser = thread_parser();
  if (auto err = parser.parse(text.data(), text.size()).get(root)) {
    error = err == simdjson::DEPTH_ERROR
                ? refuse(ec::invalid_json,
                         "JSON nested deeper than " + std::to_string(max_json_depth) + " levels")
                : refuse(ec::invalid_json,
                         std::string{"frame is not valid JSON: "} + simdjson::error_message(err));
    return false;
  }
  if (root.get_object().get(obj)) {
    error = refuse(ec::invalid_frame, "a frame must be a JSON object");
    return false;
  }
  return true;
}

}  // namespace sluice::protocol::json_input
