#include "transport/server/http_session.hpp"

#include "core/error_code.hpp"
#include "core/observe/log.hpp"
#include "transport/http/api_request.hpp"
#include "transport/http/http_endpoints.hpp"
#include "transport/http/static_pages.hpp"
#include "transport/server/upgrade_admission.hpp"
#include "transport/websocket/handshake.hpp"
#include "transport/websocket/websocket_session.hpp"

namespace sluice::transport {
namespace {

std::string ip_of(const tcp::socket& socket, std::uint16_t& port) {
  beast::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  port = ec ? 0 : ep.port();
  return ec ? std::string{"unknown"} : ep.address().to_string();
}

// Metric label for a path: only known paths, so clients cannot grow the label set.
std::string_view path_label(std::string_view target) {
  auto path = target.substr(0, target.find('?'));
  for (std::string_view known :
       {"/healthz", "/readyz", "/metrics", "/ws", "/workers", "/api/publish", "/api/cluster"})
    if (path == known) return known;
  if (path.starts_with("/api/topics")) return "/api/topics";
  if (path.starts_with("/api/quotas/")) return "/api/quotas";
  if (path.starts_with("/api/services")) return "/api/services";
  if (path.starts_with(dashboard_prefix)) return dashboard_prefix;
  return "other";
}

}  // namespace

template <class Stream>
http_session<Stream>::http_session(Stream stream, beast::flat_buffer buffer,
                                   std::shared_ptr<shared_state> state, socket_slot slot)
    : stream_(std::move(stream)),
      buffer_(std::move(buffer)),
      state_(std::move(state)),
      ip_(ip_of(beast::get_lowest_layer(stream_).socket(), port_)),
      remote_(ip_ + ":" + std::to_string(port_)),
      slot_(std::move(slot)) {}

template <class Stream>
void http_session<Stream>::run() {
  net::dispatch(stream_.get_executor(),
                beast::bind_front_handler(&http_session::do_read, this->shared_from_this()));
}

// A whole request (head and body) must arrive within request_timeout: a
// client that trickles its headers (slowloris) is cut off.
template <class Stream>
void http_session<Stream>::do_read() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(state_->options.server.max_header_bytes));
  parser_->body_limit(state_->options.max_body_bytes);
  beast::get_lowest_layer(stream_).expires_after(state_->options.server.request_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&http_session::on_read, this->shared_from_this()));
}

template <class Stream>
void http_session<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream) return do_shutdown();
  if (ec && ec.category() == http::make_error_code(http::error::bad_target).category()) {
    // Malformed or oversized request: answer once, then close.
    unsigned status = ec == http::error::header_limit ? 431
                      : ec == http::error::body_limit ? 413
                                                      : 400;
    log::debug("http", "bad_request", {{"remote", remote_}, {"error", ec.message()}});
    return do_reply(http_error(status, to_string(ec::bad_request), ec.message()), false);
  }
  if (ec) return;  // timeouts and resets just end the connection
  const auto& req = parser_->get();
  // RFC 9112 6.1: only chunked framing is understood; any other transfer
  // coding leaves the body's length unknown, so the connection cannot go on.
  if (auto te = req.find(http::field::transfer_encoding);
      te != req.end() && !beast::iequals(te->value(), "chunked"))
    return do_reply(http_error(400, to_string(ec::bad_request),
                               "Transfer-Encoding other than chunked is not supported"),
                    false);
  if (websocket::is_upgrade(req)) return do_upgrade();
  if (std::string_view{req.target()}.starts_with(api_prefix) && state_->api != nullptr) {
    bool keyed = false;
    if (auto refused = admit_api_call(req, *state_, keyed))
      return do_reply(std::move(*refused), false);
    return do_api(req.keep_alive(), keyed);
  }
  auto method = std::string_view{req.method_string()};
  auto target = std::string_view{req.target()};
  auto page = state_->pages.answer(method, target);
  auto reply = page ? std::move(*page) : answer_http(method, target, state_->status);
  do_reply(std::move(reply), req.keep_alive());
}

// An API call is answered by actors, on their threads; the reply comes back
// to this connection's executor.
template <class Stream>
void http_session<Stream>::do_api(bool keep_alive, bool keyed) {
  const auto& req = parser_->get();
  auto parsed = parse_api_request(std::string_view{req.method_string()},
                                  std::string_view{req.target()}, req.body());
  if (auto* reply = std::get_if<http_reply>(&parsed))
    return do_reply(std::move(*reply), keep_alive);
  std::get<api_call>(parsed).keyed = keyed;
  state_->api->handle(std::move(std::get<api_call>(parsed)), [self = this->shared_from_this(),
                                                              keep_alive](http_reply reply) {
    auto executor = self->stream_.get_executor();
    net::post(executor, [self = std::move(self), keep_alive, reply = std::move(reply)]() mutable {
      self->do_reply(std::move(reply), keep_alive);
    });
  });
}

template <class Stream>
void http_session<Stream>::do_upgrade() {
  const auto& req = parser_->get();
  auto target = std::string_view{req.target()};
  auto path = target.substr(0, target.find('?'));
  bool workers = path == workers_path && state_->workers_handler != nullptr;
  if (path != websocket_path && !workers) {
    return do_reply(http_error(404, to_string(ec::not_found),
                               "WebSocket connections go to " + std::string{websocket_path} +
                                   (state_->workers_handler ? " (workers: /workers)" : "")),
                    false);
  }
  if (auto refused = refuse_handshake(req)) return do_reply(std::move(*refused), false);
  std::string why;
  auto query = target.size() > path.size() ? target.substr(path.size() + 1) : std::string_view{};
  auto params = parse_connect_params(workers ? std::string_view{} : query, why);
  if (!params) return do_reply(http_error(400, to_string(ec::bad_request), why), false);
  if (state_->status.draining.load()) {
    state_->metrics.connections_rejected.with({"shutting_down"}).inc();
    return do_reply(http_error(503, to_string(ec::shutting_down), "server is shutting down"),
                    false);
  }
  auto admitted = admit_upgrade(req, ip_, workers, *state_);
  if (admitted.refusal) return do_reply(std::move(*admitted.refusal), false);
  // Reserve a connection slot before the handshake; the session gives it back.
  std::string refusal;
  auto slot = connection_slot::acquire(state_, ip_, slot_, refusal);
  if (!slot) {
    state_->metrics.connections_rejected.with({"too_many_connections"}).inc();
    log::warn("http", "connection_refused",
              {{"remote", remote_}, {"reason", "too_many_connections"}, {"detail", refusal}});
    auto reply = http_error(503, to_string(ec::too_many_connections), refusal);
    reply.headers.emplace_back("Retry-After", "5");
    return do_reply(std::move(reply), false);
  }
  state_->metrics.http_requests.with({std::string{path}, "101"}).inc();
  websocket_session<upgraded_stream<Stream>>::start(
      upgrade_stream(std::move(stream_)), state_,
      {remote_, ip_, workers, std::move(*params), std::move(admitted.who),
       std::move(admitted.subprotocol)},
      std::move(*slot), parser_->release());
}

template <class Stream>
void http_session<Stream>::do_reply(http_reply reply, bool keep_alive) {
  const auto& req = parser_->get();
  state_->metrics.http_requests
      .with({std::string{path_label(std::string_view{req.target()})}, std::to_string(reply.status)})
      .inc();
  if (reply.parts) return do_stream(std::move(reply), keep_alive);
  response_ = std::make_shared<http::response<http::string_body>>(
      static_cast<http::status>(reply.status), req.version() == 10 ? 10 : 11);
  response_->set(http::field::server, "sluice");
  response_->set(http::field::content_type, reply.content_type);
  for (auto& [name, value] : reply.headers) response_->set(name, value);
  // HEAD: the headers a GET would have (its Content-Length), without the body.
  bool head = req.method() == http::verb::head;
  auto length = reply.body.size();
  response_->body() = head ? std::string{} : std::move(reply.body);
  keep_alive = keep_alive && reply.status < 500;
  response_->keep_alive(keep_alive);
  response_->prepare_payload();
  if (head) response_->content_length(length);
  http::async_write(
      stream_, *response_,
      beast::bind_front_handler(&http_session::on_write, this->shared_from_this(), keep_alive));
}

template <class Stream>
void http_session<Stream>::do_stream(http_reply reply, bool keep_alive) {
  const auto& req = parser_->get();
  stream_head_ = std::make_shared<http::response<http::empty_body>>(
      static_cast<http::status>(reply.status), 11);
  stream_head_->set(http::field::server, "sluice");
  stream_head_->set(http::field::content_type, reply.content_type);
  for (auto& [name, value] : reply.headers) stream_head_->set(name, value);
  stream_head_->chunked(true);
  keep_alive = keep_alive && req.version() == 11;
  stream_head_->keep_alive(keep_alive);
  head_writer_.emplace(*stream_head_);
  http::async_write_header(stream_, *head_writer_,
                           [self = this->shared_from_this(), parts = std::move(reply.parts),
                            keep_alive](beast::error_code ec, std::size_t) mutable {
                             if (ec) return;
                             self->ask_part(std::move(parts), keep_alive);
                           });
}

// The next part is produced on another thread; it is written on this
// connection's executor.
template <class Stream>
void http_session<Stream>::ask_part(std::shared_ptr<body_parts> parts, bool keep_alive) {
  auto* source = parts.get();
  source->next([self = this->shared_from_this(), parts = std::move(parts), keep_alive](
                   std::string part, bool last) mutable {
    auto executor = self->stream_.get_executor();
    net::post(executor, [self = std::move(self), parts = std::move(parts), keep_alive,
                         part = std::move(part), last]() mutable {
      self->write_part(std::move(parts), keep_alive, std::move(part), last);
    });
  });
}

template <class Stream>
void http_session<Stream>::write_part(std::shared_ptr<body_parts> parts, bool keep_alive,
                                      std::string part, bool last) {
  part_ = std::move(part);
  auto done = [self = this->shared_from_this(), parts, keep_alive, last](beast::error_code ec,
                                                                         std::size_t) mutable {
    if (ec) return;  // the client went away: the rest is never produced
    if (!last) return self->ask_part(std::move(parts), keep_alive);
    net::async_write(self->stream_, http::make_chunk_last(),
                     beast::bind_front_handler(&http_session::on_write, self, keep_alive));
  };
  if (part_.empty()) return done({}, 0);  // an empty chunk would end the body
  net::async_write(stream_, http::make_chunk(net::buffer(part_)), std::move(done));
}

template <class Stream>
void http_session<Stream>::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
  response_.reset();
  stream_head_.reset();
  head_writer_.reset();
  part_.clear();
  part_.shrink_to_fit();
  if (ec) return;
  if (!keep_alive) return do_shutdown();
  do_read();
}

template <class Stream>
void http_session<Stream>::do_shutdown() {
  if constexpr (is_tls<Stream>) {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
  } else {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
}

template class http_session<plain_stream>;
template class http_session<tls_stream>;

}  // namespace sluice::transport
