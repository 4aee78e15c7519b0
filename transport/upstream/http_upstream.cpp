#include "transport/upstream/http_upstream.hpp"

#include "core/observe/metrics.hpp"
#include "transport/upstream/http_connection.hpp"
#include "transport/upstream/io_runtime.hpp"

namespace sluice::transport {
namespace {

struct http_metrics {
  static http_metrics& get() {
    static http_metrics instance;
    return instance;
  }
  metrics::gauge& open = metrics::registry::global().add_gauge(
      "sluice_upstream_http_requests_open", "HTTP requests to `http` upstreams open");
  metrics::family<metrics::counter>& results = metrics::registry::global().add_counter_family(
      "sluice_upstream_http_requests_total",
      "HTTP requests to `http` upstreams, by result (answered: any status; failed: no answer)",
      {"result"});
};

class http_exchange : public http_exchange_handle, public http_connection<http_exchange> {
 public:
  http_exchange(net::io_context& ioc, http_request_spec spec, std::function<void(http_answer)> done)
      : http_connection(ioc, spec.request), spec_(std::move(spec)), done_(std::move(done)) {
    http_metrics::get().open.inc();
  }
  ~http_exchange() override { http_metrics::get().open.dec(); }

  void start() { open(); }
  void abort() override { close_now(); }

 private:
  friend class http_connection<http_exchange>;

  void on_connected() {
    stream_.expires_never();  // the job's deadline bounds the rest
    send();
  }

  void send() {
    prepare(spec_.request, "application/json");
    with_stream([this](auto& s) {
      http::async_write(s, request_, [self = shared_from_this()](beast::error_code ec, auto) {
        if (ec) return self->fail("cannot send the request: " + ec.message());
        self->parser_.body_limit(self->spec_.max_response_bytes);
        self->with_stream([&self](auto& rs) {
          http::async_read(rs, self->buffer_, self->parser_,
                           [self](beast::error_code rec, auto) { self->on_read(rec); });
        });
      });
    });
  }

  void on_read(beast::error_code ec) {
    if (finished_) return;
    if (ec == http::error::body_limit) {
      http_answer a{parser_.get().result_int(), {}, {}, true};
      a.error = "the response exceeded max_response_bytes (" +
                std::to_string(spec_.max_response_bytes) + ")";
      return answer(std::move(a));
    }
    if (ec) return fail("no complete HTTP response from " + target() + ": " + ec.message());
    answer({parser_.get().result_int(), std::move(parser_.get().body()), {}, false});
  }

  void answer(http_answer a) {
    finished_ = true;
    http_metrics::get().results.with({"answered"}).inc();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    done_(std::move(a));
  }

  void fail(std::string why) {
    if (finished_) return;
    finished_ = true;
    http_metrics::get().results.with({"failed"}).inc();
    done_({0, {}, std::move(why), false});
  }

  http_request_spec spec_;
  std::function<void(http_answer)> done_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
};

}  // namespace

http_client::http_client(io_runtime& io) : io_(io) {
  http_metrics::get();  // listed in /metrics from the start
}

std::shared_ptr<http_exchange_handle> http_client::start(http_request_spec spec,
                                                         std::function<void(http_answer)> done) {
  auto x = std::make_shared<http_exchange>(io_.context(), std::move(spec), std::move(done));
  x->start();
  return x;
}

}  // namespace sluice::transport
