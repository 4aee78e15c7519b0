#include "transport/server/server.hpp"

#include <thread>
#include <vector>

#include "core/observe/log.hpp"
#include "transport/beast.hpp"
#include "transport/server/listener.hpp"
#include "transport/server/tls_detector.hpp"
#include "transport/websocket/idle_sweeper.hpp"

namespace sluice::transport {

struct server::impl {
  impl(server_options options, connection_handler& handler, connection_handler* workers,
       api_handler* api)
      : state(std::make_shared<shared_state>(std::move(options), handler, workers, api)),
        ioc(static_cast<int>(state->options.server.io_threads)),
        work(net::make_work_guard(ioc)) {}

  std::shared_ptr<shared_state> state;
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work;
  std::unique_ptr<idle_sweeper> sweeper;  // before the I/O context goes: its timer is on it
  std::shared_ptr<listener> accept;
  std::vector<std::thread> threads;
};

std::optional<std::string> check_tls(const config::tls_config& tls) {
  try {
    make_tls_context(tls);
    return std::nullopt;
  } catch (const std::exception& e) {
    return std::string{e.what()};
  }
}

server::server(server_options options, connection_handler& handler, connection_handler* workers,
               api_handler* api)
    : impl_(std::make_unique<impl>(std::move(options), handler, workers, api)) {}

server::~server() {
  stop();
}

std::uint16_t server::start() {
  const auto& opts = impl_->state->options;
  auto address = net::ip::make_address(opts.server.host);
  auto tls = opts.server.tls.cert_file.empty() ? nullptr : make_tls_context(opts.server.tls);
  impl_->accept = std::make_shared<listener>(impl_->ioc, tcp::endpoint{address, opts.server.port},
                                             impl_->state, std::move(tls));
  if (opts.server.idle_timeout.count() > 0) {
    impl_->sweeper = std::make_unique<idle_sweeper>(impl_->ioc, opts.server.idle_timeout);
    impl_->state->idle = impl_->sweeper.get();
  }
  impl_->accept->run();
  for (unsigned i = 0; i < opts.server.io_threads; ++i)
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->state->status.listening = true;
  return impl_->accept->port();
}

void server::stop_accepting() {
  impl_->state->status.draining = true;
  impl_->state->status.listening = false;
  if (impl_->accept) impl_->accept->stop();
}

std::size_t server::open_connections() const {
  return impl_->state->websocket_connections.load();
}

void server::stop() {
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
}

}  // namespace sluice::transport
