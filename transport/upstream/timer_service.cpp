#include "transport/upstream/timer_service.hpp"

#include <atomic>

#include "core/observe/metrics.hpp"
#include "transport/beast.hpp"
#include "transport/upstream/io_thread.hpp"

namespace sluice::transport {
namespace {

metrics::gauge& pending_gauge() {
  static metrics::gauge& g = metrics::registry::global().add_gauge(
      "sluice_timers_pending", "Request deadline timers armed and not yet fired or cancelled");
  return g;
}

// All of one timer's work runs on the service's single thread, in the order posted.
class deadline_timer : public timer_handle, public std::enable_shared_from_this<deadline_timer> {
 public:
  deadline_timer(net::io_context& ioc, std::function<void()> fire, std::atomic<std::size_t>& count)
      : timer_(ioc), fire_(std::move(fire)), count_(count) {
    count_.fetch_add(1);
    pending_gauge().inc();
  }

  void arm(std::chrono::milliseconds after) {
    net::post(timer_.get_executor(), [self = shared_from_this(), after] {
      self->timer_.expires_after(after);
      self->timer_.async_wait([self](boost::system::error_code ec) {
        self->count_.fetch_sub(1);
        pending_gauge().dec();
        if (!ec && !self->cancelled_) self->fire_();
        self->fire_ = nullptr;  // let go of what the callback holds
      });
    });
  }

  // The flag is set at once, so a timer that comes due before the posted
  // cancel runs still does not fire.
  void cancel() override {
    cancelled_ = true;
    net::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
  }

 private:
  net::steady_timer timer_;
  std::function<void()> fire_;
  std::atomic<std::size_t>& count_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace

struct timer_service::impl {
  std::atomic<std::size_t> pending{0};
  io_thread io;  // last: its pending handlers use `pending`
};

timer_service::timer_service() : impl_(std::make_unique<impl>()) {
  pending_gauge();  // listed in /metrics from the start
}

timer_service::~timer_service() {
  impl_->io.stop();
}

std::shared_ptr<timer_handle> timer_service::start(std::chrono::milliseconds after,
                                                   std::function<void()> fire) {
  auto t = std::make_shared<deadline_timer>(impl_->io.context(), std::move(fire), impl_->pending);
  t->arm(after);
  return t;
}

std::size_t timer_service::pending() const {
  return impl_->pending.load();
}

}  // namespace sluice::transport
