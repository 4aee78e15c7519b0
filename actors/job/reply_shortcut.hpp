#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "transport/client_link.hpp"

namespace sluice::actors {

// The frames of a reply that may go from the upstream's I/O thread straight
// to the client's connection, skipping the job and the session (two thread
// hand-offs per frame). The job keeps control of everything else: the last
// frame, errors, the deadline, cancel and retries go through the actors as
// before. The session makes one per request and closes it before it ends the
// request; the job closes it before its last frame. So nothing sent this way
// can follow a request's last frame.
//
// Frames of one request never overtake each other: once a frame cannot take
// the shortcut (the client is behind: client_link::congested), it closes for
// good and every later frame takes the actors' path, with its credit window
// (flow_control.hpp).
class reply_shortcut {
 public:
  // `timestamps`: frames get `ts` as they go (server.frame_timestamps).
  explicit reply_shortcut(std::shared_ptr<transport::client_link> link, bool timestamps = false)
      : link_(std::move(link)), timestamps_(timestamps) {}
  reply_shortcut(const reply_shortcut&) = delete;
  reply_shortcut& operator=(const reply_shortcut&) = delete;

  // Any thread. True: the frame was handed to the connection (which may have
  // discarded it, if it is closing); false: send it through the job.
  // `answers`: the frame comes from the upstream (see used()).
  bool send(std::string&& frame, bool answers = true);
  // No frame goes this way once close() returned.
  void close();
  // Whether a frame went this way: the request can no longer be retried.
  bool used() const { return used_.load(std::memory_order_acquire); }

 private:
  std::mutex mutex_;
  std::shared_ptr<transport::client_link> link_;  // null once closed
  std::atomic<bool> used_{false};
  bool timestamps_;
};

using shortcut_ptr = std::shared_ptr<reply_shortcut>;

}  // namespace sluice::actors
