#include "core/observe/mailbox_gauge.hpp"

#include <array>
#include <string>

#include "core/observe/metrics.hpp"

namespace sluice {
namespace {

constexpr std::array<const char*, 4> kind_names = {"session", "job", "topic", "upstream"};

struct kind_metrics {
  metrics::gauge& depth;
  metrics::gauge& high_water;
  metrics::counter& drops;
  metrics::gauge& bound;
};

kind_metrics& metrics_of(mailbox_kind kind) {
  static std::array<kind_metrics, kind_names.size()> all = [] {
    auto& reg = metrics::registry::global();
    auto& depth =
        reg.add_gauge_family("sluice_mailbox_depth",
                             "Messages accepted but not yet handled, summed over the actors "
                             "of a kind",
                             {"actor"});
    auto& high_water = reg.add_gauge_family(
        "sluice_mailbox_depth_high_water",
        "Highest number of messages accepted but not yet handled by one actor, by kind of actor",
        {"actor"});
    auto& drops = reg.add_counter_family(
        "sluice_mailbox_drops_total",
        "Messages refused or discarded because an actor's mailbox bound was reached", {"actor"});
    auto& bound = reg.add_gauge_family(
        "sluice_mailbox_bound", "Configured bound on one actor's unhandled messages", {"actor"});
    auto make = [&](const char* name) {
      return kind_metrics{depth.with({name}), high_water.with({name}), drops.with({name}),
                          bound.with({name})};
    };
    return std::array<kind_metrics, kind_names.size()>{make(kind_names[0]), make(kind_names[1]),
                                                       make(kind_names[2]), make(kind_names[3])};
  }();
  return all[static_cast<std::size_t>(kind)];
}

}  // namespace

void mailbox_gauge::declare(mailbox_kind kind, std::size_t bound) {
  metrics_of(kind).bound.set(static_cast<std::int64_t>(bound));
}

mailbox_gauge::mailbox_gauge(mailbox_kind kind, std::size_t bound) : kind_(kind), bound_(bound) {
  declare(kind, bound);
}

mailbox_gauge::~mailbox_gauge() {
  metrics_of(kind_).depth.dec(static_cast<std::int64_t>(depth()));
}

std::size_t mailbox_gauge::accepted(std::size_t n) {
  auto now = depth_.fetch_add(n, std::memory_order_relaxed) + n;
  auto& m = metrics_of(kind_);
  m.depth.inc(static_cast<std::int64_t>(n));
  m.high_water.raise_to(static_cast<std::int64_t>(now));
  return now;
}

std::size_t mailbox_gauge::handled(std::size_t n) {
  auto before = depth_.load(std::memory_order_relaxed);
  // Never below zero, even if a caller hands back more than it took.
  while (!depth_.compare_exchange_weak(before, before > n ? before - n : 0,
                                       std::memory_order_relaxed)) {
  }
  auto taken = before > n ? n : before;
  metrics_of(kind_).depth.dec(static_cast<std::int64_t>(taken));
  return before - taken;
}

void mailbox_gauge::track(std::size_t queue_size) {
  auto now = depth();
  if (queue_size > now)
    accepted(queue_size - now);
  else if (queue_size < now)
    handled(now - queue_size);
}

void mailbox_gauge::dropped(std::size_t n) {
  metrics_of(kind_).drops.inc(n);
}

}  // namespace sluice
