#include "config/topic_template.hpp"

#include "core/topic_name.hpp"

namespace sluice::config {
namespace {

// The value of field `name`, or nullptr for a name that is no field.
const std::string_view* field(const topic_template::fields& f, std::string_view name) {
  if (name == "request_id") return &f.request_id;
  if (name == "client_id") return &f.client_id;
  if (name == "sub") return &f.sub;
  if (name == "route") return &f.route;
  return nullptr;
}

// Fills in `text`; `bad` gets the first unknown or unclosed field, `missing` the first empty one.
std::string fill(std::string_view text, const topic_template::fields& f, std::string& bad,
                 std::string& missing) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] != '{') {
      out += text[i++];
      continue;
    }
    auto close = text.find('}', i);
    auto name = text.substr(i + 1, close == std::string_view::npos ? close : close - i - 1);
    const auto* value = close == std::string_view::npos ? nullptr : field(f, name);
    if (value == nullptr) {
      // The field as written: "{name}", or "{name" when it is not closed.
      if (bad.empty())
        bad = text.substr(i, close == std::string_view::npos ? close : close - i + 1);
      return out;
    }
    if (value->empty() && missing.empty()) missing = name;
    out += *value;
    i = close + 1;
  }
  return out;
}

}  // namespace

std::string topic_template::problem(std::string_view text) {
  std::string bad, missing;
  auto sample = fill(text, {"r-0", "c", "s", "route"}, bad, missing);
  if (!bad.empty())
    return "unknown field " + bad + " (fields: {request_id}, {client_id}, {sub}, {route})";
  if (topic_name::is_inbox(sample)) return "a route may not publish its streams to an inbox";
  if (topic_name::valid(sample)) return {};
  std::string why{text};  // built by appending: GCC 12 misreads a chain of + here (-Wrestrict)
  why.insert(0, 1, '"');
  why.append("\" is not a topic name once filled in (").append(topic_name::rule_text).append(")");
  return why;
}

std::optional<std::string> topic_template::render(const fields& f, std::string& missing) const {
  std::string bad;
  auto name = fill(text, f, bad, missing);
  if (!bad.empty() || !missing.empty() || !topic_name::valid(name)) return std::nullopt;
  return name;
}

}  // namespace sluice::config
