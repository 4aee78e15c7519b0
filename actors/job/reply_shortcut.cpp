#include "actors/job/reply_shortcut.hpp"

#include "actors/base/actor_metrics.hpp"
#include "actors/job/kind_filter.hpp"
#include "core/clock.hpp"
#include "protocol/server_frames.hpp"

namespace sluice::actors {

bool reply_shortcut::send(std::string&& frame, bool answers) {
  std::lock_guard lock{mutex_};
  if (!link_) return false;
  if (link_->congested()) {
    link_.reset();
    return false;
  }
  if (timestamps_) frame = protocol::frames::with_timestamp(std::move(frame), unix_ms());
  link_->send(std::make_shared<const std::string>(std::move(frame)));
  if (!answers) return true;
  used_.store(true, std::memory_order_release);
  actor_metrics::get().shortcut_frames.inc();
  return true;
}

bool dropped_on_shortcut(const kind_filter_ptr& filter, std::string_view kind) {
  if (wanted(filter, kind)) return false;
  actor_metrics::get().filtered_frames.inc();
  return true;
}

void reply_shortcut::close() {
  std::lock_guard lock{mutex_};
  link_.reset();
}

}  // namespace sluice::actors
