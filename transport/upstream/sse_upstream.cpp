#include "transport/upstream/sse_upstream.hpp"

#include <algorithm>
#include <array>
#include <atomic>

#include "core/observe/metrics.hpp"
#include "transport/upstream/http_connection.hpp"
#include "transport/upstream/io_runtime.hpp"

namespace sluice::transport {
namespace {

struct sse_metrics {
  static sse_metrics& get() {
    static sse_metrics instance;
    return instance;
  }
  metrics::gauge& open = metrics::registry::global().add_gauge(
      "sluice_upstream_sse_requests_open", "HTTP/SSE requests to upstreams open");
  metrics::family<metrics::counter>& results = metrics::registry::global().add_counter_family(
      "sluice_upstream_sse_requests_total",
      "HTTP/SSE requests to upstreams, by result (ok, failed)", {"result"});
};

}  // namespace

class sse_request : public sse_request_handle, public http_connection<sse_request> {
 public:
  sse_request(net::io_context& ioc, sse_request_spec spec, std::shared_ptr<sse_events> events,
              shared_count open)
      : http_connection(ioc, spec.request),
        spec_(std::move(spec)),
        events_(std::move(events)),
        parser_(spec_.max_event_bytes),
        open_(std::move(open)) {
    open_->fetch_add(1);
    sse_metrics::get().open.inc();
  }
  ~sse_request() override {
    open_->fetch_sub(1);
    sse_metrics::get().open.dec();
  }

  void start() { open(); }

  void acknowledge(std::uint32_t n) override {
    net::post(stream_.get_executor(), [self = shared_from_this(), n] {
      self->unacked_ -= std::min(n, self->unacked_);
      self->pump();
    });
  }

  void abort() override { close_now(); }

 private:
  friend class http_connection<sse_request>;

  void on_connected() { send_request(); }
  // Could not resolve or connect: no response.
  void fail(std::string why) { fail(0, std::move(why)); }

  void send_request() {
    prepare(spec_.request, "text/event-stream");
    with_stream([this](auto& s) {
      http::async_write(s, request_, [self = shared_from_this()](beast::error_code ec, auto) {
        if (ec) return self->fail(0, "cannot send the request: " + ec.message());
        self->response_.body_limit(boost::none);
        self->with_stream([&self](auto& rs) {
          http::async_read_header(
              rs, self->buffer_, self->response_,
              [self](beast::error_code hec, std::size_t) { self->on_header(hec); });
        });
      });
    });
  }

  void on_header(beast::error_code ec) {
    if (finished_) return;
    if (ec) return fail(0, "no HTTP response from " + target() + ": " + ec.message());
    auto status = response_.get().result_int();
    if (status < 200 || status > 299)
      return fail(status, "the upstream answered HTTP " + std::to_string(status));
    stream_.expires_never();
    sse_metrics::get().results.with({"ok"}).inc();
    on_read({});  // events that arrived with the header first, then read on
  }

  // Raw reads: Beast's read_some on a chunked body waits for the next chunk
  // header before it returns, which would hold each event back until the next.
  void do_read() {
    reading_ = true;
    with_stream([this](auto& s) {
      s.async_read_some(buffer_.prepare(16 * 1024),
                        [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                          self->buffer_.commit(n);
                          self->on_read(ec);
                        });
    });
  }

  void on_read(beast::error_code ec) {
    reading_ = false;
    if (finished_) return;
    if (!parse_buffered()) return;
    if (ec)
      ended_ = ec == net::error::eof && response_.is_done()
                   ? "the response ended"
                   : "the upstream connection failed: " + ec.message();
    else if (response_.is_done())
      ended_ = "the response ended";
    pump();
  }

  // Runs what is buffered through the HTTP parser (which undoes the chunked
  // encoding) into the SSE parser; false when an event was too large.
  bool parse_buffered() {
    while (buffer_.size() > 0 && !response_.is_done()) {
      response_.get().body().data = chunk_.data();
      response_.get().body().size = chunk_.size();
      beast::error_code pec;
      auto used = response_.put(buffer_.data(), pec);
      buffer_.consume(used);
      auto got = chunk_.size() - response_.get().body().size;
      if (!parser_.feed(std::string_view{chunk_.data(), got})) {
        end("an event exceeded max_event_bytes (" + std::to_string(spec_.max_event_bytes) + ")",
            true);
        return false;
      }
      if (pec == http::error::need_buffer) continue;  // the body buffer was full
      if (pec == http::error::need_more || (used == 0 && got == 0)) break;
      if (pec) {
        ended_ = "the upstream sent a malformed HTTP response: " + pec.message();
        break;
      }
    }
    return true;
  }

  // Delivers complete events within the window; reads on when all are delivered.
  void pump() {
    if (finished_ || reading_) return;
    std::string data;
    while (unacked_ < spec_.event_window && parser_.next(data)) {
      if (!events_->on_event(std::move(data))) ++unacked_;
      if (finished_) return;
    }
    if (unacked_ >= spec_.event_window) return;  // acknowledge() pumps again
    if (!ended_.empty()) return end(ended_, false);
    do_read();
  }

  void end(std::string why, bool protocol_error) {
    if (finished_) return;
    finished_ = true;
    events_->on_end(std::move(why), protocol_error);
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  void fail(unsigned status, std::string why) {
    if (finished_) return;
    finished_ = true;
    sse_metrics::get().results.with({"failed"}).inc();
    events_->on_failed(status, std::move(why));
  }

  sse_request_spec spec_;
  std::shared_ptr<sse_events> events_;
  sse_parser parser_;
  shared_count open_;
  beast::flat_buffer buffer_;
  http::response_parser<http::buffer_body> response_;
  std::array<char, 16 * 1024> chunk_{};
  std::string ended_;  // set once the response is over; reported after the last event
  std::uint32_t unacked_ = 0;
  bool reading_ = false;
};

struct sse_client::impl {
  explicit impl(net::io_context& c) : ioc(c) {}
  net::io_context& ioc;
  shared_count open = make_count();
};

sse_client::sse_client(io_runtime& io) : impl_(std::make_unique<impl>(io.context())) {
  sse_metrics::get();  // listed in /metrics from the start
}

sse_client::~sse_client() = default;

std::shared_ptr<sse_request_handle> sse_client::start(sse_request_spec spec,
                                                      std::shared_ptr<sse_events> events) {
  auto r =
      std::make_shared<sse_request>(impl_->ioc, std::move(spec), std::move(events), impl_->open);
  r->start();
  return r;
}

std::size_t sse_client::open_requests() const {
  return impl_->open->load();
}

}  // namespace sluice::transport
