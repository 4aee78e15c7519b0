#include "actors/job/drivers/payload.hpp"

#include <simdjson.h>

#include "core/json.hpp"

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

namespace {

void replace_all(std::string& s, std::string_view what, std::string_view with) {
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size()))
    s.replace(at, what.size(), with);
}

}  // namespace

std::string render_body(std::string_view body_template, std::string_view payload_json) {
  std::string text_json = "null";
  if (auto text = payload_text(payload_json)) {
    text_json.clear();
    json::append_string(text_json, *text);
  }
  std::string body{body_template};
  replace_all(body, "{{payload}}", payload_json);
  replace_all(body, "{{text}}", text_json);
  return body;
}

}  // namespace sluice::actors
