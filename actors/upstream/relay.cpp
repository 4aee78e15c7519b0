#include "actors/upstream/relay.hpp"

#include <simdjson.h>

namespace sluice::actors {

relayed_message classify_upstream_json(std::string_view text, std::string_view type_field) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(text.data(), text.size()).get_object().get(obj)) return {};
  std::string_view type;
  bool named = !obj[type_field].get_string().get(type);
  if (!named) type = "progress";
  auto kind = type == "token"   ? relayed_message::kind::token
              : type == "final" ? relayed_message::kind::final
              : type == "error" ? relayed_message::kind::error
                                : relayed_message::kind::progress;
  return {kind, simdjson::minify(obj), named ? std::string{type} : std::string{}};
}

}  // namespace sluice::actors
