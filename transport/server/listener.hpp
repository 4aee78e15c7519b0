#pragma once

#include <memory>

#include "transport/server/shared_state.hpp"
#include "transport/server/streams.hpp"

namespace sluice::transport {

// Accepts TCP connections and starts an http_session for each, on its own
// strand; with `tls`, each connection first goes through a tls_detector.
class listener : public std::enable_shared_from_this<listener> {
 public:
  // Binds and listens; throws std::system_error on failure.
  listener(net::io_context& ioc, tcp::endpoint endpoint, std::shared_ptr<shared_state> state,
           std::shared_ptr<ssl::context> tls);

  void run();
  void stop();  // closes the acceptor; safe from any thread
  std::uint16_t port() const { return port_; }

 private:
  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void refuse(tcp::socket socket);

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  std::shared_ptr<shared_state> state_;
  std::shared_ptr<ssl::context> tls_;  // null: plain TCP only
  std::uint16_t port_ = 0;
};

}  // namespace sluice::transport
