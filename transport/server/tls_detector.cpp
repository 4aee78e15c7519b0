#include "transport/server/tls_detector.hpp"

#include "core/observe/log.hpp"
#include "transport/server/http_session.hpp"

namespace sluice::transport {

tls_detector::tls_detector(tcp::socket socket, std::shared_ptr<shared_state> state,
                           std::shared_ptr<ssl::context> ctx, socket_slot slot)
    : stream_(std::move(socket)),
      state_(std::move(state)),
      ctx_(std::move(ctx)),
      slot_(std::move(slot)) {}

void tls_detector::run() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    self->stream_.expires_after(self->state_->options.server.request_timeout);
    beast::async_detect_ssl(self->stream_, self->buffer_,
                            beast::bind_front_handler(&tls_detector::on_detect, self));
  });
}

void tls_detector::on_detect(beast::error_code ec, bool is_tls) {
  if (ec) return;  // closed or timed out before saying anything
  if (!is_tls) {
    if (state_->options.server.tls.require) {
      state_->metrics.tls_handshakes.with({"plain_refused"}).inc();
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      return;
    }
    std::make_shared<http_session<plain_stream>>(std::move(stream_), std::move(buffer_), state_,
                                                 std::move(*slot_))
        ->run();
    return;
  }
  auto stream = std::make_shared<tls_stream>(std::move(stream_), *ctx_);
  stream->async_handshake(
      ssl::stream_base::server, buffer_.data(),
      beast::bind_front_handler(&tls_detector::on_handshake, shared_from_this(), stream));
}

void tls_detector::on_handshake(std::shared_ptr<tls_stream> stream, beast::error_code ec,
                                std::size_t used) {
  if (ec) {
    state_->metrics.tls_handshakes.with({"failed"}).inc();
    log::debug("tls", "handshake_failed", {{"error", ec.message()}});
    return;
  }
  state_->metrics.tls_handshakes.with({"ok"}).inc();
  buffer_.consume(used);
  std::make_shared<http_session<tls_stream>>(std::move(*stream), std::move(buffer_), state_,
                                             std::move(*slot_))
      ->run();
}

std::shared_ptr<ssl::context> make_tls_context(const config::tls_config& tls) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  auto load = [&](const std::string& file, const char* what, auto&& use) {
    beast::error_code ec;
    use(ec);
    if (ec)
      throw std::runtime_error("server.tls." + std::string{what} + " " + file + ": " +
                               ec.message());
  };
  load(tls.cert_file, "cert_file",
       [&](beast::error_code& ec) { ctx->use_certificate_chain_file(tls.cert_file, ec); });
  load(tls.key_file, "key_file", [&](beast::error_code& ec) {
    ctx->use_private_key_file(tls.key_file, ssl::context::pem, ec);
  });
  return ctx;
}

}  // namespace sluice::transport
