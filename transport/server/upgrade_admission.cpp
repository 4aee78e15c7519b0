#include "transport/server/upgrade_admission.hpp"

#include <algorithm>

#include "core/observe/log.hpp"
#include "transport/http/query_string.hpp"

namespace sluice::transport {
namespace {

constexpr std::string_view bearer_prefix = "Bearer ";
constexpr std::string_view subprotocol_prefix = "bearer.";
constexpr std::string_view sluice_subprotocol = "sluice";

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Each comma-separated entry of Sec-WebSocket-Protocol, until `visit` returns true.
template <class Visit>
void for_each_subprotocol(const http::request<http::string_body>& req, Visit visit) {
  std::string_view list{req[http::field::sec_websocket_protocol]};
  while (!list.empty()) {
    auto comma = list.find(',');
    if (visit(trim(list.substr(0, comma)))) return;
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
}

std::string bearer_of(const http::request<http::string_body>& req) {
  std::string_view header{req[http::field::authorization]};
  if (header.size() > bearer_prefix.size() &&
      std::equal(bearer_prefix.begin(), bearer_prefix.end(), header.begin(),
                 [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
    return std::string{trim(header.substr(bearer_prefix.size()))};
  return {};
}

http_reply refusal(unsigned status, ec code, std::string message) {
  return http_error(status, to_string(code), message);
}

}  // namespace

std::string credential_of(const http::request<http::string_body>& req) {
  if (auto bearer = bearer_of(req); !bearer.empty()) return bearer;
  std::string token;
  for_each_subprotocol(req, [&](std::string_view p) {
    if (!p.starts_with(subprotocol_prefix)) return false;
    token = p.substr(subprotocol_prefix.size());
    return true;
  });
  if (!token.empty()) return token;
  std::string_view target{req.target()};
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  return std::string{query_value(target.substr(q + 1), "token").value_or("")};
}

admission admit_upgrade(const http::request<http::string_body>& req, const std::string& ip,
                        bool workers, shared_state& state) {
  const auto& opts = state.options;
  auto& m = state.metrics;
  admission out;
  std::string_view origin{req[http::field::origin]};
  const auto& allowed = opts.server.allowed_origins;
  if (!allowed.empty() && !origin.empty() &&
      std::find(allowed.begin(), allowed.end(), origin) == allowed.end()) {
    m.connections_rejected.with({"forbidden_origin"}).inc();
    log::warn("http", "connection_refused", {{"ip", ip}, {"reason", "forbidden_origin"}});
    out.refusal = refusal(403, ec::forbidden,
                          "origin " + std::string{origin} + " is not in server.allowed_origins");
    return out;
  }
  if (auto wait = state.limits.ip_connections.take(ip, std::chrono::steady_clock::now());
      wait.count() > 0) {
    m.connections_rejected.with({"rate_limited"}).inc();
    m.rate_limited.with({"ip_connections"}).inc();
    auto reply = refusal(429, ec::rate_limited, "too many new connections from this address");
    reply.headers.emplace_back("Retry-After", std::to_string((wait.count() + 999) / 1000));
    out.refusal = std::move(reply);
    return out;
  }
  for_each_subprotocol(req, [&](std::string_view p) {
    if (p == sluice_subprotocol) out.subprotocol = p;
    return p == sluice_subprotocol;
  });
  if (workers || !opts.auth) return out;
  auto verdict = opts.auth->authenticate(credential_of(req), security::unix_now());
  if (!verdict.who) {
    m.connections_rejected.with({std::string{to_string(verdict.code)}}).inc();
    m.auth_failures.with({std::string{to_string(verdict.code)}}).inc();
    log::info("http", "connection_refused",
              {{"ip", ip}, {"reason", to_string(verdict.code)}, {"detail", verdict.message}});
    auto reply = refusal(401, verdict.code, verdict.message);
    reply.headers.emplace_back("WWW-Authenticate", "Bearer");
    out.refusal = std::move(reply);
    return out;
  }
  out.who = std::move(*verdict.who);
  return out;
}

std::optional<http_reply> admit_api_call(const http::request<http::string_body>& req,
                                         shared_state& state, bool& keyed) {
  keyed = false;
  if (!state.options.auth) return std::nullopt;
  auto verdict = state.options.auth->authenticate_http_api(bearer_of(req));
  if (verdict.who) {
    keyed = !verdict.who->key_name.empty();
    return std::nullopt;
  }
  state.metrics.auth_failures.with({std::string{to_string(verdict.code)}}).inc();
  auto reply = refusal(401, verdict.code, verdict.message);
  reply.headers.emplace_back("WWW-Authenticate", "Bearer");
  return reply;
}

}  // namespace sluice::transport
