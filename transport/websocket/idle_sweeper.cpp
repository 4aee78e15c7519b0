#include "transport/websocket/idle_sweeper.hpp"

#include <boost/asio/post.hpp>

#include "transport/websocket/plain_websocket.hpp"

namespace sluice::transport {

idle_sweeper::idle_sweeper(boost::asio::io_context& ioc, std::chrono::milliseconds idle)
    : period_(idle / 2), timer_(ioc) {
  arm();
}

void idle_sweeper::watch(std::weak_ptr<void> owner, plain_websocket* connection) {
  std::lock_guard lock{mutex_};
  entries_.push_back({std::move(owner), connection});
}

void idle_sweeper::arm() {
  timer_.expires_after(period_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) tick();
  });
}

void idle_sweeper::tick() {
  std::vector<std::pair<std::shared_ptr<void>, plain_websocket*>> live;
  {
    std::lock_guard lock{mutex_};
    live.reserve(entries_.size());
    std::erase_if(entries_, [&](const entry& e) {
      auto owner = e.owner.lock();
      if (!owner) return true;
      live.emplace_back(std::move(owner), e.connection);
      return false;
    });
    if (entries_.capacity() > 2 * entries_.size() + 64) entries_.shrink_to_fit();
  }
  for (auto& [owner, connection] : live)
    boost::asio::post(connection->get_executor(),
                      [owner = std::move(owner), connection] { connection->on_idle_tick(); });
  arm();
}

}  // namespace sluice::transport
