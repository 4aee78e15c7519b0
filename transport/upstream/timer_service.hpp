#pragma once

#include <chrono>
#include <functional>
#include <memory>

// Cancellable timers for deadlines. An actor's own delayed messages cannot be
// withdrawn in CAF 0.17 (the clock keeps them, and their receiver, until they
// are due); these can: a cancelled timer is gone at once.
namespace sluice::transport {

class io_runtime;

class timer_handle {
 public:
  virtual ~timer_handle() = default;
  // The callback will not run (unless it already did). Safe from any thread.
  virtual void cancel() = 0;
};

class timer_service {
 public:
  // Runs on `io`, which must outlive it.
  explicit timer_service(io_runtime& io);
  ~timer_service();  // pending timers never fire
  timer_service(const timer_service&) = delete;
  timer_service& operator=(const timer_service&) = delete;

  // Calls `fire` on the service's thread once `after` has passed, unless the
  // returned handle is cancelled first.
  std::shared_ptr<timer_handle> start(std::chrono::milliseconds after, std::function<void()> fire);

  // Timers started and neither fired nor cancelled yet.
  std::size_t pending() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::transport
