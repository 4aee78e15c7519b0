#include "transport/upstream/health_probe.hpp"

#include "transport/beast.hpp"
#include "transport/upstream/io_runtime.hpp"

namespace sluice::transport {
namespace {

// One check; keeps itself alive through its pending handlers.
class probe_run : public std::enable_shared_from_this<probe_run> {
 public:
  probe_run(net::io_context& ioc, probe_spec spec, health_prober::callback done)
      : stream_(net::make_strand(ioc)),
        resolver_(stream_.get_executor()),
        spec_(std::move(spec)),
        done_(std::move(done)) {}

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->stream_.expires_after(self->spec_.timeout);
      self->resolver_.async_resolve(
          self->spec_.host, self->spec_.port,
          [self](beast::error_code ec, const tcp::resolver::results_type& results) {
            if (ec) return self->finish(false, "cannot resolve " + self->spec_.host);
            self->connect(results);
          });
    });
  }

 private:
  void connect(const tcp::resolver::results_type& results) {
    stream_.async_connect(results,
                          [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
                            if (ec) return self->finish(false, "connect: " + ec.message());
                            if (self->spec_.http_target.empty())
                              return self->finish(true, "connected");
                            self->send_get();
                          });
  }

  void send_get() {
    request_.method(http::verb::get);
    request_.target(spec_.http_target);
    request_.version(11);
    request_.set(http::field::host, spec_.host + ":" + spec_.port);
    request_.set(http::field::connection, "close");
    http::async_write(stream_, request_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->finish(false, "send: " + ec.message());
                        self->read_response();
                      });
  }

  void read_response() {
    parser_.body_limit(64 * 1024);
    http::async_read(
        stream_, buffer_, parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec) return self->finish(false, "no HTTP answer: " + ec.message());
          auto status = self->parser_.get().result_int();
          self->finish(status >= 200 && status < 300, "HTTP " + std::to_string(status));
        });
  }

  void finish(bool healthy, std::string detail) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    done_(healthy, std::move(detail));
  }

  beast::tcp_stream stream_;
  tcp::resolver resolver_;
  probe_spec spec_;
  health_prober::callback done_;
  http::request<http::empty_body> request_;
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
  std::make_shared<probe_run>(impl_->ioc, std::move(spec), std::move(done))->start();
}

}  // namespace sluice::transport
