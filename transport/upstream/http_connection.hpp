#pragma once

// Private to transport's .cpp files (includes Beast).
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <optional>

#include "transport/beast.hpp"
#include "transport/upstream/http_upstream.hpp"
#include "transport/upstream/tls_client.hpp"
#include "transport/upstream/tls_handshake.hpp"

namespace sluice::transport {

// What the HTTP clients of upstreams (sse_upstream, http_upstream) share:
// resolving the host and connecting within connect_timeout on the request's
// own strand, and aborting. `Derived` provides on_connected() and
// fail(std::string why), and sets `finished_` once nothing more may follow.
template <class Derived>
class http_connection : public std::enable_shared_from_this<Derived> {
 protected:
  http_connection(net::io_context& ioc, const http_request_base& r)
      : stream_(net::make_strand(ioc)),
        resolver_(stream_.get_executor()),
        host_(r.host),
        port_(r.port),
        connect_timeout_(r.connect_timeout),
        tls_(r.tls),
        base_(r) {}

  // What the connection was opened with (its target and method, for a request).
  const http_request_base& request_base() const { return base_; }

  // Runs `f` on the connection's stream: the TLS one over https, else TCP.
  template <class F>
  void with_stream(F&& f) {
    if (secure_)
      f(*secure_);
    else
      f(stream_);
  }

  // The request `r` describes, ready to write; `accept`: the media type wanted back.
  void prepare(const http_request_base& r, std::string_view accept) {
    request_.method_string(r.method);
    request_.target(r.target);
    request_.version(11);
    request_.set(http::field::host, target());
    request_.set(http::field::accept, accept);
    if (!r.body.empty()) request_.set(http::field::content_type, "application/json");
    for (const auto& [k, v] : r.headers) request_.set(k, v);
    request_.body() = r.body;
    request_.prepare_payload();
  }

  void open() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      self->resolver_.async_resolve(
          self->host_, self->port_,
          [self](beast::error_code ec, const tcp::resolver::results_type& results) {
            if (ec) return self->fail("cannot resolve " + self->host_ + ": " + ec.message());
            self->connect(results);
          });
    });
  }

  // Closes the connection, on the strand; no events follow.
  void close_now() {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->finished_ = true;
      self->resolver_.cancel();
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      self->stream_.close();
    });
  }

  std::string target() const { return host_ + ":" + port_; }

  beast::tcp_stream stream_;
  tcp::resolver resolver_;
  http::request<http::string_body> request_;
  bool finished_ = false;

 private:
  void connect(const tcp::resolver::results_type& results) {
    if (finished_) return;
    stream_.expires_after(connect_timeout_);
    stream_.async_connect(
        results, [self = this->shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
          if (ec) return self->fail("cannot connect to " + self->target() + ": " + ec.message());
          self->stream_.socket().set_option(tcp::no_delay(true));
          if (self->tls_) return self->handshake();
          self->on_connected();
        });
  }

  void handshake() {
    secure_.emplace(stream_, tls_->native());
    prepare_client_tls(*secure_, host_);
    secure_->async_handshake(
        net::ssl::stream_base::client, [self = this->shared_from_this()](beast::error_code ec) {
          if (self->finished_) return;
          if (ec)
            return self->fail("TLS with " + self->target() +
                              " failed: " + tls_failure(self->secure_->native_handle(), ec));
          self->on_connected();
        });
  }

  std::string host_;
  std::string port_;
  std::chrono::milliseconds connect_timeout_;
  std::shared_ptr<const tls_client_context> tls_;
  http_request_base base_;
  std::optional<net::ssl::stream<beast::tcp_stream&>> secure_;
};

}  // namespace sluice::transport
