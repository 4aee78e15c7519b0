#include "transport/upstream/timer_service.hpp"

#include <atomic>

#include "core/observe/metrics.hpp"
#include "transport/beast.hpp"
#include "transport/upstream/io_runtime.hpp"

namespace sluice::transport {

// What the service shares with its timers, which may outlive it. (Outside the
// anonymous namespace: timer_service::impl, which has external linkage, holds one.)
struct timer_state {
  std::atomic<std::size_t> pending{0};
  std::atomic<bool> stopped{false};  // the service is gone: nothing fires any more
};

namespace {

metrics::gauge& pending_gauge() {
  static metrics::gauge& g = metrics::registry::global().add_gauge(
      "sluice_timers_pending", "Request deadline timers armed and not yet fired or cancelled");
  return g;
}

// All of one timer's work runs on the runtime's single thread, in the order posted.
class deadline_timer : public timer_handle, public std::enable_shared_from_this<deadline_timer> {
 public:
  deadline_timer(net::io_context& ioc, std::function<void()> fire,
                 std::shared_ptr<timer_state> state)
      : timer_(ioc), fire_(std::move(fire)), state_(std::move(state)) {
    state_->pending.fetch_add(1);
    pending_gauge().inc();
  }

  void arm(std::chrono::milliseconds after) {
    net::post(timer_.get_executor(), [self = shared_from_this(), after] {
      self->timer_.expires_after(after);
      self->timer_.async_wait([self](boost::system::error_code ec) {
        self->state_->pending.fetch_sub(1);
        pending_gauge().dec();
        if (!ec && !self->cancelled_ && !self->state_->stopped) self->fire_();
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
  std::shared_ptr<timer_state> state_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace

struct timer_service::impl {
  explicit impl(net::io_context& c) : ioc(c) {}
  net::io_context& ioc;
  std::shared_ptr<timer_state> state = std::make_shared<timer_state>();
};

timer_service::timer_service(io_runtime& io) : impl_(std::make_unique<impl>(io.context())) {
  pending_gauge();  // listed in /metrics from the start
}

timer_service::~timer_service() {
  impl_->state->stopped = true;
}

std::shared_ptr<timer_handle> timer_service::start(std::chrono::milliseconds after,
                                                   std::function<void()> fire) {
  auto t = std::make_shared<deadline_timer>(impl_->ioc, std::move(fire), impl_->state);
  t->arm(after);
  return t;
}

std::size_t timer_service::pending() const {
  return impl_->state->pending.load();
}

}  // namespace sluice::transport
