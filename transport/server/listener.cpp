#include "transport/server/listener.hpp"

#include "core/error_code.hpp"
#include "core/observe/log.hpp"
#include "transport/server/http_session.hpp"
#include "transport/server/tls_detector.hpp"

namespace sluice::transport {

listener::listener(net::io_context& ioc, tcp::endpoint endpoint,
                   std::shared_ptr<shared_state> state, std::shared_ptr<ssl::context> tls)
    : ioc_(ioc),
      acceptor_(net::make_strand(ioc)),
      retry_timer_(acceptor_.get_executor()),
      state_(std::move(state)),
      tls_(std::move(tls)) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

void listener::run() {
  do_accept();
}

void listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor_.close(ec);
    self->retry_timer_.cancel();
  });
}

void listener::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_),
                         beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Typically out of file descriptors: back off briefly instead of spinning.
    log::warn("listener", "accept_failed", {{"error", ec.message()}});
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->do_accept();
    });
    return;
  }
  auto slot = socket_slot::acquire(state_);
  if (!slot) {
    refuse(std::move(socket));
    return do_accept();
  }
  // Small frames must leave at once; Nagle + delayed ACKs would add ~40 ms.
  beast::error_code opt_ec;
  socket.set_option(tcp::no_delay(true), opt_ec);
  if (tls_)
    std::make_shared<tls_detector>(std::move(socket), state_, tls_, std::move(*slot))->run();
  else
    std::make_shared<http_session<plain_stream>>(plain_stream{std::move(socket)},
                                                 beast::flat_buffer{}, state_, std::move(*slot))
        ->run();
  do_accept();
}

// Over max_connections: a 503 with its JSON body, written without reading the
// request, then the connection is closed.
void listener::refuse(tcp::socket socket) {
  state_->metrics.connections_rejected.with({"too_many_connections"}).inc();
  auto body =
      http_error(503, to_string(ec::too_many_connections), max_connections_refusal(state_->options))
          .body;
  auto reply = std::make_shared<std::string>(
      "HTTP/1.1 503 Service Unavailable\r\nServer: sluice\r\nContent-Type: application/json\r\n"
      "Retry-After: 5\r\nConnection: close\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  auto sock = std::make_shared<tcp::socket>(std::move(socket));
  net::async_write(*sock, net::buffer(*reply), [sock, reply](beast::error_code, std::size_t) {
    beast::error_code ignored;
    sock->shutdown(tcp::socket::shutdown_both, ignored);
  });
}

}  // namespace sluice::transport
