#include "actors/payload.hpp"

#include <simdjson.h>

namespace sluice::actors {

std::optional<std::string> payload_text(std::string_view payload_json) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(payload_json.data(), payload_json.size()).get(root)) return std::nullopt;
  std::string_view text;
  if (!root.get_string().get(text)) return std::string{text};
  if (!root["text"].get_string().get(text)) return std::string{text};
  return std::nullopt;
}

}  // namespace sluice::actors
