#include "config/request_template.hpp"

#include <cctype>

#include <simdjson.h>

#include "core/json.hpp"

namespace sluice::config {
namespace {

constexpr std::string_view open_mark = "{{";
constexpr std::string_view close_mark = "}}";
constexpr std::string_view claim_prefix = "claims.";
constexpr std::string_view field_list =
    "{{payload}}, {{text}}, {{sub}}, {{client_id}}, {{request_id}}, {{route}}, {{roles}}, "
    "{{claims.NAME}}, {{claims.NAME|default}}";

void append_escaped(std::string& out, std::string_view value, request_template::escape how) {
  using escape = request_template::escape;
  constexpr std::string_view hex = "0123456789ABCDEF";
  for (unsigned char c : value) {
    bool keep = how == escape::header
                    ? c >= 0x20 && c != 0x7f
                    : std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
    if (how == escape::json || keep) {
      out += static_cast<char>(c);
      continue;
    }
    out += '%';
    out += hex[c >> 4];
    out += hex[c & 15];
  }
}

// A text value where it goes: a JSON string (null when `absent` and empty), or escaped text.
void append_text(std::string& out, std::string_view value, request_template::escape how,
                 bool null_when_empty = false) {
  if (how != request_template::escape::json) return append_escaped(out, value, how);
  if (null_when_empty && value.empty()) {
    out += "null";
    return;
  }
  json::append_string(out, value);
}

}  // namespace

std::optional<std::string> request_template::payload_text(std::string_view payload_json) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(payload_json.data(), payload_json.size()).get(root)) return std::nullopt;
  std::string_view text;
  if (!root.get_string().get(text)) return std::string{text};
  if (!root["text"].get_string().get(text)) return std::string{text};
  return std::nullopt;
}

request_template request_template::parse(std::string text, std::string& problem) {
  request_template t;
  std::string_view rest = text;
  part current;
  while (!rest.empty()) {
    auto at = rest.find(open_mark);
    current.literal.append(rest.substr(0, at));
    if (at == std::string_view::npos) break;
    rest.remove_prefix(at + open_mark.size());
    auto end = rest.find(close_mark);
    if (end == std::string_view::npos) {
      problem =
          "a field opened with {{ is not closed with }} (fields: " + std::string{field_list} + ")";
      return {};
    }
    auto name = rest.substr(0, end);
    rest.remove_prefix(end + close_mark.size());
    static const std::pair<std::string_view, field> plain[] = {{"payload", field::payload},
                                                               {"text", field::text},
                                                               {"sub", field::sub},
                                                               {"client_id", field::client_id},
                                                               {"request_id", field::request_id},
                                                               {"route", field::route},
                                                               {"roles", field::roles}};
    for (const auto& [n, f] : plain)
      if (name == n) current.f = f;
    if (!current.f && name.starts_with(claim_prefix) && name.size() > claim_prefix.size()) {
      auto claim = name.substr(claim_prefix.size());
      auto bar = claim.find('|');
      current.f = field::claim;
      current.claim = claim.substr(0, bar);
      if (bar != std::string_view::npos) current.fallback = std::string{claim.substr(bar + 1)};
    }
    if (!current.f || (current.f == field::claim && current.claim.empty())) {
      problem =
          "unknown field {{" + std::string{name} + "}} (fields: " + std::string{field_list} + ")";
      return {};
    }
    t.parts_.push_back(std::move(current));
    current = {};
  }
  if (!current.literal.empty()) t.parts_.push_back(std::move(current));
  t.text_ = std::move(text);
  return t;
}

bool request_template::uses_caller() const {
  for (const auto& p : parts_)
    if (p.f && *p.f != field::payload && *p.f != field::text) return true;
  return false;
}

std::optional<std::string> request_template::render(const values& v, escape how,
                                                    std::string& missing) const {
  std::string out;
  for (const auto& p : parts_) {
    out += p.literal;
    if (!p.f) continue;
    switch (*p.f) {
      case field::payload:
        if (how == escape::json)
          out += v.payload;
        else
          append_escaped(out, v.payload, how);
        break;
      case field::text: {
        auto text = payload_text(v.payload);
        if (how == escape::json && !text)
          out += "null";
        else
          append_text(out, text.value_or(""), how);
        break;
      }
      case field::sub:
        append_text(out, v.sub, how, true);
        break;
      case field::client_id:
        append_text(out, v.client_id, how, true);
        break;
      case field::request_id:
        append_text(out, v.request_id, how);
        break;
      case field::route:
        append_text(out, v.route, how);
        break;
      case field::roles: {
        static const std::vector<std::string> none;
        const auto& roles = v.roles ? *v.roles : none;
        if (how == escape::json) {
          out += json::string_array(roles);
          break;
        }
        for (std::size_t i = 0; i < roles.size(); ++i) {
          if (i > 0) out += ',';
          append_escaped(out, roles[i], how);
        }
        break;
      }
      case field::claim: {
        const std::string* value = nullptr;
        if (v.claims)
          for (const auto& [name, text] : *v.claims)
            if (name == p.claim) value = &text;
        if (value == nullptr && !p.fallback) {
          missing = p.claim;
          return std::nullopt;
        }
        append_text(out, value ? *value : *p.fallback, how);
        break;
      }
    }
  }
  return out;
}

request_template default_body() {
  std::string unused;
  return request_template::parse("{{payload}}", unused);
}

}  // namespace sluice::config
