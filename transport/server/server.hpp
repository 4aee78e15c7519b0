#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "security/authenticator.hpp"
#include "transport/client_link.hpp"
#include "transport/http/api_request.hpp"

// The network side of one Sluice process: an io_context with its threads and
// one listener that serves HTTP and WebSocket on one port. This header keeps
// Beast out of its users.
namespace sluice::transport {

// The configuration sections the server reads (config.hpp documents each
// field and holds its default), and what it derives from the rest.
struct server_options {
  config::server_config server;  // address, connections, timeouts, TLS, origins
  config::limits_config limits;  // mailbox, outbound_messages, outbound_bytes
  config::rate_limits_config rate_limits;
  std::size_t max_body_bytes = 64 * 1024;               // of an HTTP request (POST /api/publish)
  std::shared_ptr<const security::authenticator> auth;  // null: every client is anonymous
};

// Whether server.tls can be loaded: nothing, or why not.
std::optional<std::string> check_tls(const config::tls_config& tls);

class server {
 public:
  // `workers` (may be null) receives the connections of workers at /workers;
  // `api` (may be null) answers the HTTP API under /api/.
  server(server_options options, connection_handler& handler, connection_handler* workers = nullptr,
         api_handler* api = nullptr);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds, listens and starts the I/O threads. Returns the bound port.
  // Throws boost::system::system_error (a std::runtime_error) when the
  // address cannot be bound, std::runtime_error when server.tls cannot be loaded.
  std::uint16_t start();

  // Closes the listening socket; /readyz answers 503 from now on.
  void stop_accepting();

  // WebSocket connections currently open.
  std::size_t open_connections() const;

  // Stops the I/O threads and joins them. Open sockets are closed when the
  // server is destroyed.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::transport
