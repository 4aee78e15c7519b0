#include "transport/upstream/health_probe.hpp"

#include "transport/upstream/http_connection.hpp"
#include "transport/upstream/io_runtime.hpp"

namespace sluice::transport {
namespace {

// One check; keeps itself alive through its pending handlers.
class probe_run : public http_connection<probe_run> {
 public:
  probe_run(net::io_context& ioc, const probe_spec& spec, health_prober::callback done)
      : http_connection(
            ioc, {spec.host, spec.port, spec.http_target, "GET", {}, {}, spec.timeout, spec.tls}),
        http_(!spec.http_target.empty()),
        timeout_(spec.timeout),
        done_(std::move(done)) {}

  void start() { open(); }

 private:
  friend class http_connection<probe_run>;

  void on_connected() {
    if (!http_) return finish(true, "connected");
    stream_.expires_after(timeout_);
    prepare(request_base(), "*/*");
    request_.set(http::field::connection, "close");
    with_stream([this](auto& s) {
      http::async_write(s, request_, [self = shared_from_this()](beast::error_code ec, auto) {
        if (ec) return self->finish(false, "send: " + ec.message());
        self->read_response();
      });
    });
  }

  void read_response() {
    parser_.body_limit(64 * 1024);
    with_stream([this](auto& s) {
      http::async_read(
          s, buffer_, parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->finish(false, "no HTTP answer: " + ec.message());
            auto status = self->parser_.get().result_int();
            self->finish(status >= 200 && status < 300, "HTTP " + std::to_string(status));
          });
    });
  }

  void fail(std::string why) { finish(false, std::move(why)); }

  void finish(bool healthy, std::string detail) {
    if (std::exchange(finished_, true)) return;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    done_(healthy, std::move(detail));
  }

  bool http_;
  std::chrono::milliseconds timeout_;
  health_prober::callback done_;
  http::response_parser<http::string_body> parser_;
  beast::flat_buffer buffer_;
};

}  // namespace

struct health_prober::impl {
  explicit impl(net::io_context& c) : ioc(c) {}
  net::io_context& ioc;
};

health_prober::health_prober(io_runtime& io) : impl_(std::make_unique<impl>(io.context())) {}
health_prober::~health_prober() = default;

void health_prober::probe(probe_spec spec, callback done) {
  std::make_shared<probe_run>(impl_->ioc, spec, std::move(done))->start();
}

}  // namespace sluice::transport
