#pragma once

#include <optional>
#include <string>

#include "security/identity.hpp"
#include "transport/beast.hpp"
#include "transport/http/http_endpoints.hpp"
#include "transport/server/shared_state.hpp"

namespace sluice::transport {

// What is decided about a WebSocket upgrade before the handshake: refused
// (with the HTTP reply saying why), or admitted as `who`.
struct admission {
  std::optional<http_reply> refusal;
  security::identity who;
  std::string subprotocol;  // to echo in the handshake ("sluice" when offered); empty: none
};

// The client's credential, from the first of: `Authorization: Bearer`, the
// subprotocol `bearer.TOKEN` in Sec-WebSocket-Protocol, the `token` query
// parameter. Empty when it presents none.
std::string credential_of(const http::request<http::string_body>& req);

// Checks, in order: the Origin allow-list, the rate of new connections from
// `ip`, and the credential (for clients at /ws; workers register with their
// own token). Counts every refusal in the metrics.
admission admit_upgrade(const http::request<http::string_body>& req, const std::string& ip,
                        bool workers, shared_state& state);

// The credential of an HTTP API call (Authorization: Bearer); a refusal
// when the API needs a key and this is not one. `keyed`: the call presented
// one of auth.http_api_keys (only such calls may read personal topics).
std::optional<http_reply> admit_api_call(const http::request<http::string_body>& req,
                                         shared_state& state, bool& keyed);

}  // namespace sluice::transport
