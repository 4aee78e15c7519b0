#include "actors/job/caller.hpp"

#include "core/json.hpp"

namespace sluice::actors {

config::request_template::values template_values(const caller_info* caller,
                                                 std::string_view payload,
                                                 std::string_view request_id) {
  config::request_template::values v;
  v.payload = payload;
  v.request_id = request_id;
  if (caller == nullptr) return v;
  v.sub = caller->sub;
  v.client_id = caller->client_id;
  v.route = caller->route;
  v.roles = &caller->roles;
  v.claims = &caller->claims;
  return v;
}

std::string client_json(const caller_info* caller) {
  static const caller_info nobody;
  const auto& c = caller ? *caller : nobody;
  json::object out;
  if (c.sub.empty())
    out.raw("sub", "null");
  else
    out.str("sub", c.sub);
  out.raw("roles", json::string_array(c.roles));
  if (c.client_id.empty())
    out.raw("client_id", "null");
  else
    out.str("client_id", c.client_id);
  return out.finish();
}

}  // namespace sluice::actors
